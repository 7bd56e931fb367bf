#!/usr/bin/env bash
# clv-fit: the BG/NBD + Gamma-Gamma fit of `ltvd clv-fit` against the same fit done with
# SciPy (clv_fit_scipy.py, Debian's python3-scipy), on the CDNOW sample (2,357 customers)
# and master file (23,570), calibration end 1997-09-30. Both time the fit alone (ltvd's
# fit_ms; SciPy's inside Python, after start-up, reading and preparation). Each is run
# BENCH_CLV_ROUNDS times, alternating; the medians and their ratio are printed. Exit 1
# when a run fails or SciPy's parameters differ from ltvd's (relative 1e-4, log-likelihood
# 1e-3); a ratio below the target (20) is reported (BELOW TARGET) but does not fail.
#
# Environment:
#   LTVD_BIN          the ltvd binary (meson sets it)
#   LTVD_CDNOW_DIR    the CDNOW files (meson: ../shared/cdnow beside the source tree)
#   BENCH_CLV_ROUNDS  runs per program and file   [5]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rounds=${BENCH_CLV_ROUNDS:-5}
py=/usr/bin/python3
: "${LTVD_BIN:?LTVD_BIN must name the ltvd binary}"
: "${LTVD_CDNOW_DIR:?LTVD_CDNOW_DIR must name the CDNOW folder}"

if ! "$py" -c 'import numpy, scipy' 2>/dev/null; then
  echo "clv_fit: python3-scipy is not installed (scripts/deps.sh); skipping" >&2
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for name in sample master; do
  file="$LTVD_CDNOW_DIR/CDNOW_$name.txt"
  [ -r "$file" ] || { echo "clv_fit: $file is missing" >&2; exit 1; }
  for ((i = 1; i <= rounds; i++)); do
    "$LTVD_BIN" clv-fit --transactions "$file" --calibration-end 1997-09-30 >>"$tmp/ltvd.$name"
    "$py" "$here/clv_fit_scipy.py" "$file" 1997-09-30 >>"$tmp/scipy.$name"
  done
  "$py" - "$name" "$tmp/ltvd.$name" "$tmp/scipy.$name" <<'PY' || status=1
import json, statistics, sys
name, ltvd, scipy = sys.argv[1], *([json.loads(l) for l in open(p)] for p in sys.argv[2:])
a, b = ltvd[0], scipy[0]
ok = a["customers"] == b["customers"] and a["repeat_customers"] == b["repeat_customers"]
for model, keys in (("bgnbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "gamma"))):
    for k in keys:
        if abs(a[model][k] - b[model][k]) > 1e-4 * abs(b[model][k]):
            print(f"clv_fit: {name}: {model}.{k} ltvd {a[model][k]} scipy {b[model][k]}")
            ok = False
    if abs(a[model]["log_likelihood"] - b[model]["log_likelihood"]) > 1e-3:
        print(f"clv_fit: {name}: {model} log-likelihood ltvd {a[model]['log_likelihood']} "
              f"scipy {b[model]['log_likelihood']}")
        ok = False
tl = statistics.median(r["fit_ms"] for r in ltvd)
ts = statistics.median(r["fit_ms"] for r in scipy)
m = a["bgnbd"]
print(f"{name}: {a['customers']} customers, {a['repeat_customers']} repeat; "
      f"r={m['r']:.4f} alpha={m['alpha']:.4f} a={m['a']:.4f} b={m['b']:.4f} "
      f"LL={m['log_likelihood']:.2f}; parameters {'agree' if ok else 'DIFFER'}")
print(f"{name}: fit ltvd {tl:.1f} ms, scipy {ts:.1f} ms (medians of {len(ltvd)}), "
      f"ratio {ts / tl:.1f}x{'' if ts / tl >= 20 else ' BELOW TARGET (20x)'}")
sys.exit(0 if ok else 1)
PY
done
exit $status
