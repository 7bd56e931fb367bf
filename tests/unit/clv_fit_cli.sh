#!/usr/bin/env bash
# `ltvd clv-fit` end to end, without a database: the JSON it prints for the CDNOW sample
# (calibration end 1997-09-30) against the published fit, and its usage errors.
# Needs LTVD_BIN and LTVD_CDNOW_DIR; exits 77 (skip) when the data is missing, except
# under CI where that fails.
set -euo pipefail

sample="${LTVD_CDNOW_DIR:-}/CDNOW_sample.txt"
if [ ! -r "$sample" ]; then
  echo "clv_fit_cli: $sample is missing (set LTVD_CDNOW_DIR)" >&2
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi
fail() { echo "clv_fit_cli: $*" >&2; exit 1; }

out=$("$LTVD_BIN" clv-fit --transactions "$sample" --calibration-end 1997-09-30)
/usr/bin/python3 - "$out" <<'PY' || fail "unexpected output: $out"
import json, sys
j = json.loads(sys.argv[1])
assert set(j) == {"customers", "repeat_customers", "bgnbd", "gamma_gamma", "fit_ms"}, j
assert j["customers"] == 2357 and j["repeat_customers"] == 946, j
want = {"bgnbd": {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259},
        "gamma_gamma": {"p": 6.2496, "q": 3.7442, "gamma": 15.4435}}
for model, params in want.items():
    for k, v in params.items():
        assert abs(j[model][k] - v) <= 1e-3 * v, (model, k, j[model][k], v)
assert abs(j["bgnbd"]["log_likelihood"] + 9582.43) <= 0.01, j
assert set(j["gamma_gamma"]) == {"p", "q", "gamma", "log_likelihood"}, j
assert j["fit_ms"] > 0, j
PY

"$LTVD_BIN" clv-fit --help | grep -q -- '--calibration-end' || fail "--help lacks the options"
"$LTVD_BIN" --help | grep -q 'clv-fit' || fail "ltvd --help does not list clv-fit"
expect() {
  local want=$1; shift
  set +e
  "$LTVD_BIN" clv-fit "$@" >/dev/null 2>&1
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || fail "clv-fit $* exited $got, want $want"
}
expect 2 --transactions "$sample"
expect 2 --transactions "$sample" --calibration-end 1997-02-30
expect 2 --calibration-end 1997-09-30
expect 2 --transactions "$sample" --calibration-end 1997-09-30 --bogus
expect 1 --transactions /nonexistent/cdnow.txt --calibration-end 1997-09-30
bad=$(mktemp)
trap 'rm -f "$bad"' EXIT
printf '00001 19970101 1\n' >"$bad"
expect 1 --transactions "$bad" --calibration-end 1997-09-30
printf 'id date cds dollars\n00001 19970101 1 11.77\nid date cds dollars\n' >"$bad"
expect 1 --transactions "$bad" --calibration-end 1997-09-30
echo "clv_fit_cli: ok"
