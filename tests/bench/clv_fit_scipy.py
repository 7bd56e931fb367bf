#!/usr/bin/python3
"""The SciPy baseline of `ltvd clv-fit` (tests/bench/clv_fit.sh).

Reads a CDNOW file, prepares the same per-customer summaries as SPEC 4.10 (same-day
purchases merged, x = distinct days - 1, t_x and T in weeks, spend = mean of the repeat
days' amounts), then fits BG/NBD and Gamma-Gamma the way a SciPy user would: numpy-
vectorised negative log-likelihoods on log-parameters (gammaln, logaddexp), minimised by
scipy.optimize.minimize (BFGS, numerical gradient) from the same three starting points as
ltvd, keeping the best. Only the fit is timed, not start-up, reading or preparation.
Prints one JSON object like ltvd's.

usage: clv_fit_scipy.py FILE YYYY-MM-DD
"""
import datetime
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln


def read(path, end):
    by_customer = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if not fields or not fields[0][0].isdigit():
                continue
            cid = fields[1] if len(fields) == 5 else fields[0]
            day = datetime.datetime.strptime(fields[-3], "%Y%m%d").date()
            if day > end:
                continue
            cents = round(float(fields[-1]) * 100)
            days = by_customer.setdefault(cid, {})
            days[day] = days.get(day, 0) + cents
    x, tx, T, spend = [], [], [], []
    for days in by_customer.values():
        ds = sorted(days)
        x.append(len(ds) - 1)
        tx.append((ds[-1] - ds[0]).days / 7)
        T.append((end - ds[0]).days / 7)
        repeat = [days[d] for d in ds[1:]]
        spend.append(sum(repeat) / 100 / len(repeat) if repeat else 0.0)
    return np.array(x, float), np.array(tx), np.array(T), np.array(spend)


def bgnbd_nll(th, x, tx, T):
    r, alpha, a, b = np.exp(th)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(alpha + tx), -np.inf)
    return -np.sum(a1 + a2 + np.logaddexp(a3, a4))


def gg_nll(th, x, m):
    p, q, g = np.exp(th)
    px = p * x
    return -np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
                   + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + x * m))


def best_fit(f, starts, args):
    best = None
    for s in starts:
        res = minimize(f, np.log(s), args=args, method="BFGS")
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    return best


def main():
    path, end = sys.argv[1], datetime.date.fromisoformat(sys.argv[2])
    x, tx, T, spend = read(path, end)
    rep = (x > 0) & (spend > 0)
    mean_t, mean_m = max(T.mean(), 1.0), spend[rep].mean()

    t0 = time.perf_counter()
    bg = best_fit(bgnbd_nll, [(1, 1, 1, 1), (0.5, mean_t / 4, 0.5, 2), (2, mean_t, 2, 5)],
                  (x, tx, T))
    gg = best_fit(gg_nll, [(1, 1, 1), (2, 3, mean_m), (10, 5, 0.4 * mean_m)],
                  (x[rep], spend[rep]))
    ms = (time.perf_counter() - t0) * 1000

    r, alpha, a, b = np.exp(bg.x)
    p, q, g = np.exp(gg.x)
    print(json.dumps({
        "customers": len(x), "repeat_customers": int((x > 0).sum()),
        "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": -bg.fun},
        "gamma_gamma": {"p": p, "q": q, "gamma": g, "log_likelihood": -gg.fun},
        "fit_ms": ms}))


if __name__ == "__main__":
    main()
