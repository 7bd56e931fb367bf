#!/usr/bin/env bash
# http-read: GET /v1/customers/{id} on ltvd against the bare libmicrohttpd + libpq
# baseline (baseline.c), both on the same throwaway PostgreSQL cluster holding
# gen.sql's customers (SPEC section 7).  Runs wrk against baseline, ltvd, baseline,
# ltvd, ... and prints req/s, p50, p99 and non-2xx per run, then the ratio of the mean
# throughputs.  Exit 1 when a response is not 2xx, a socket error occurs or a server
# dies; a ratio below target is reported (BELOW TARGET) but does not fail.
#
# Environment:
#   LTVD_BIN, BASELINE_BIN   the binaries (meson sets both)
#   LTVD_SOURCE_ROOT         the source tree (default: two folders up from this file)
#   BENCH_SECONDS   length of each measured wrk run            [10]
#   BENCH_WARMUP    length of the warm-up run per target       [3]
#   BENCH_ROUNDS    baseline/ltvd pairs                        [2]
#   BENCH_N         customers to generate                      [100000]
#   BENCH_CONNECTIONS, BENCH_WRK_THREADS   wrk -c and -t       [64, 2]
#   BENCH_KEEP=1    keep the temporary folder (logs, wrk output) and print its path
#   LTVD_LOG_LEVEL  passed through to ltvd serve (ltvd's default when unset)
# Quick smoke run: BENCH_SECONDS=2 BENCH_WARMUP=1 BENCH_ROUNDS=1 BENCH_N=10000

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LTVD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-3}
rounds=${BENCH_ROUNDS:-2}
n=${BENCH_N:-100000}
conns=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
target_ratio=0.7

: "${LTVD_BIN:?LTVD_BIN must name the ltvd binary}"
: "${BASELINE_BIN:?BASELINE_BIN must name the baseline binary}"

for tool in wrk curl psql timeout; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: $tool is not installed; skipping" >&2
    exit 77
  fi
done
# shellcheck source=../../scripts/pg.sh
. "$root/scripts/pg.sh"

tmp=$(mktemp -d /tmp/ltvd-bench.XXXXXX)
chmod 755 "$tmp" # the cluster folder inside must be reachable by the postgres user
ltvd_pid=""
base_pid=""
failed=0

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# Stops one process we started: SIGTERM, up to 10 s for it to leave, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 rc=0
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || true
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || rc=$?
  [ "$rc" -eq 0 ] || log "$name (pid $pid) exited with status $rc after SIGTERM"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$ltvd_pid" ltvd
  stop_pid "$base_pid" baseline
  if [ "$rc" -ne 0 ] && [ -s "$tmp/ltvd.log" ]; then
    log "last lines of ltvd's log:"
    tail -n 20 "$tmp/ltvd.log" >&2
  fi
  if declare -F pg_destroy >/dev/null; then
    pg_destroy "$tmp/pg" || true
  else
    pg_stop "$tmp/pg" || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    log "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_http PID NAME URL STATUS [HEADER]: waits until URL answers STATUS, giving up
# after 30 s or when PID is gone.
wait_http() {
  local pid=$1 name=$2 url=$3 want=$4 header=${5:-X-Bench: 1} got=""
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || die "$name exited while starting"
    got=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "$header" "$url" || true)
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  die "$name did not answer $want on $url within 30 s (last: $got)"
}

free_port() {
  local p
  p=$(pg_free_port "$1") || exit 1
  echo "$p"
}

# --- the database -------------------------------------------------------------------
pg_init "$tmp/pg" >/dev/null || die "initdb failed"
# Other test runs on the machine may take a port between the check and the bind.
pg_port=$((40000 + $$ % 10000))
for attempt in 1 2 3; do
  pg_port=$(free_port "$pg_port")
  pg_start "$tmp/pg" "$pg_port" fsync=off synchronous_commit=off full_page_writes=off \
    && break
  [ "$attempt" -lt 3 ] || die "PostgreSQL did not start (see above)"
  log "PostgreSQL did not start on port $pg_port; trying another port"
  pg_port=$((pg_port + 1 + RANDOM % 100))
done
admin_url=$(pg_conninfo "$tmp/pg" "$pg_port" postgres)
url=$(pg_conninfo "$tmp/pg" "$pg_port" ltvd_bench)
timeout 60 psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c 'CREATE DATABASE ltvd_bench' \
  || die "cannot create database ltvd_bench"

export LTVD_DATABASE_URL=$url
timeout 120 "$LTVD_BIN" migrate >"$tmp/migrate.log" 2>&1 \
  || { cat "$tmp/migrate.log" >&2; die "ltvd migrate failed"; }
t0=$(date +%s.%N)
timeout 300 psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -d "$url" -f "$here/gen.sql" \
  || die "gen.sql failed"
t1=$(date +%s.%N)
log "loaded $n customers in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

key=$(timeout 60 "$LTVD_BIN" key create --scope read --name bench 2>"$tmp/key.log" | tail -n 1) \
  || { cat "$tmp/key.log" >&2; die "ltvd key create failed"; }
[[ $key =~ ^ltvd_[0-9a-f]{64}$ ]] || die "ltvd key create printed '$key', not a key"

# --- the servers --------------------------------------------------------------------
ltvd_port=$(free_port $((20000 + $$ % 10000)))
LTVD_RATE_LIMIT=0 LTVD_THREADS=2 \
  "$LTVD_BIN" serve --listen "127.0.0.1:$ltvd_port" >"$tmp/ltvd.out" 2>"$tmp/ltvd.log" &
ltvd_pid=$!
wait_http "$ltvd_pid" ltvd "http://127.0.0.1:$ltvd_port/v1/customers/1" 200 \
  "Authorization: Bearer $key"

base_port=$(free_port $((ltvd_port + 1)))
"$BASELINE_BIN" "$base_port" "$url" >/dev/null 2>"$tmp/baseline.log" &
base_pid=$!
wait_http "$base_pid" baseline "http://127.0.0.1:$base_port/v1/customers/1" 200

# Same customer from both, to show the two do comparable work.
curl -s -m 10 -D "$tmp/ltvd.head" -o "$tmp/ltvd.body" -H "Authorization: Bearer $key" \
  "http://127.0.0.1:$ltvd_port/v1/customers/2" || die "ltvd did not answer"
curl -s -m 10 -o "$tmp/baseline.body" "http://127.0.0.1:$base_port/v1/customers/2" \
  || die "baseline did not answer"
head -n 1 "$tmp/ltvd.head" | grep -q ' 200' \
  || die "ltvd GET /v1/customers/2 answered $(head -n 1 "$tmp/ltvd.head"): $(cat "$tmp/ltvd.body")"
if grep -qi '^connection: *close' "$tmp/ltvd.head"; then
  log "WARNING: ltvd answers 'Connection: close' (keep-alive lost, see PITFALLS)"
fi
if cmp -s "$tmp/ltvd.body" "$tmp/baseline.body"; then
  log "ltvd and baseline return identical bodies for customer 2"
else
  log "bodies for customer 2 differ:"
  log "  ltvd:     $(cat "$tmp/ltvd.body")"
  log "  baseline: $(cat "$tmp/baseline.body")"
fi

# --- the runs -----------------------------------------------------------------------
# run_wrk LABEL SECONDS: one wrk run against LABEL (ltvd|baseline); appends
# "LABEL rps p50_us p99_us non2xx sockerr" to $tmp/results unless it is a warm-up.
run=0
warm=0
run_wrk() {
  local label=$1 secs=$2 port pid auth="" out line name
  if [ "$warm" = 1 ]; then
    name="warm-up"
  else
    run=$((run + 1))
    name="run $run"
  fi
  if [ "$label" = ltvd ]; then
    port=$ltvd_port pid=$ltvd_pid auth="Bearer $key"
  else
    port=$base_port pid=$base_pid
  fi
  out="$tmp/wrk-${name/ /-}-$label.txt"
  BENCH_N=$n BENCH_AUTH=$auth timeout $((secs + 60)) \
    wrk -t"$wrk_threads" -c"$conns" -d"${secs}s" --timeout 5s -s "$here/read.lua" \
    "http://127.0.0.1:$port" >"$out" 2>&1 || {
    kill -0 "$pid" 2>/dev/null || die "$label died during $name"
    cat "$out" >&2
    die "wrk failed against $label"
  }
  kill -0 "$pid" 2>/dev/null || die "$label died during $name"
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no summary from wrk"; }
  local rps p50 p99 non2xx sockerr
  read -r rps p50 p99 non2xx sockerr < <(printf '%s\n' "$line" | awk '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print v["rps"], v["p50_us"], v["p99_us"], v["non2xx"], v["sockerr"] }')
  if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then
    log "$label $name: $non2xx non-2xx responses, $sockerr socket errors"
    failed=1
  fi
  [ "$warm" = 1 ] || echo "$label $rps $p50 $p99 $non2xx $sockerr" >>"$tmp/results"
}

warm=1
run_wrk baseline "$warmup"
run_wrk ltvd "$warmup"
warm=0
for _ in $(seq "$rounds"); do
  run_wrk baseline "$seconds"
  run_wrk ltvd "$seconds"
done

awk -v target="$target_ratio" '
  function ms(us) { return sprintf("%.2f ms", us / 1000) }
  {
    printf "%-4d %-9s %10.0f %10s %10s %8d %8d\n", NR, $1, $2, ms($3), ms($4), $5, $6
    rps[$1] += $2; p50[$1] += $3; p99[$1] += $4; bad[$1] += $5; err[$1] += $6; k[$1]++
  }
  BEGIN {
    printf "%-4s %-9s %10s %10s %10s %8s %8s\n", "run", "target", "req/s", "p50", "p99",
           "non-2xx", "sockerr"
  }
  END {
    for (i = 1; i <= 2; i++) {
      t = i == 1 ? "baseline" : "ltvd"
      printf "mean %-9s %10.0f %10s %10s %8d %8d\n", t, rps[t] / k[t], ms(p50[t] / k[t]),
             ms(p99[t] / k[t]), bad[t], err[t]
    }
    ratio = (rps["ltvd"] / k["ltvd"]) / (rps["baseline"] / k["baseline"])
    printf "ratio ltvd/baseline = %.2f (target >= %s): %s\n", ratio, target,
           (ratio >= target ? "PASS" : "BELOW TARGET")
  }' "$tmp/results"

kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd died"
kill -0 "$base_pid" 2>/dev/null || die "baseline died"
problems=$(grep -ciE 'error|fatal|warn' "$tmp/ltvd.log" || true)
if [ "$problems" -gt 0 ]; then
  log "ltvd logged $problems error/warning lines; the first ones:"
  grep -iE 'error|fatal|warn' "$tmp/ltvd.log" | head -n 5 >&2
fi
[ "$failed" = 0 ] || die "FAILED: non-2xx responses or socket errors (see above)"
