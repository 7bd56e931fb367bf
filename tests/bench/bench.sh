#!/usr/bin/env bash
# HTTP benchmarks of ltvd against the bare libmicrohttpd + libpq baseline (baseline.c),
# both on one throwaway PostgreSQL cluster holding gen.sql's data (SPEC section 7).
# Scenarios, named as arguments (default: all three, on one data load):
#   read               GET /v1/customers/{id}                 (read.lua)
#   deals-by-customer  GET /v1/deals?customer_id=N&limit=100  (deals_by_customer.lua)
#   deals-write        POST /v1/deals                         (deals_write.lua)
# Per scenario: a warm-up run against each server, then baseline, ltvd, baseline, ltvd,
# ... with req/s, p50, p99 and non-2xx per run, and the ratio of the mean throughputs.
# Exit 1 when a response is not 2xx, a socket error occurs, a server dies, the
# baseline's SQL is not ltvd's (sqlcheck) or a write run did not insert one deal and one
# history row per answered request; a ratio below target is reported (BELOW TARGET) but
# does not fail.  deals-write runs last: it adds rows.
#
# Environment:
#   LTVD_BIN, BASELINE_BIN, SQLCHECK_BIN   the binaries (meson sets all three)
#   LTVD_SOURCE_ROOT         the source tree (default: two folders up from this file)
#   BENCH_SECONDS   length of each measured wrk run            [10]
#   BENCH_WARMUP    length of the warm-up run per target       [3]
#   BENCH_ROUNDS    baseline/ltvd pairs per scenario           [2]
#   BENCH_N         customers to generate                      [100000]
#   BENCH_DEALS     deals to generate                          [1000000]
#   BENCH_CONNECTIONS, BENCH_WRK_THREADS   wrk -c and -t       [64, 2]
#   BENCH_KEEP=1    keep the temporary folder (logs, wrk output) and print its path
#   LTVD_LOG_LEVEL  passed through to ltvd serve (ltvd's default when unset)
# Quick smoke run:
#   BENCH_SECONDS=2 BENCH_WARMUP=1 BENCH_ROUNDS=1 BENCH_N=10000 BENCH_DEALS=100000

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LTVD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-3}
rounds=${BENCH_ROUNDS:-2}
n=${BENCH_N:-100000}
deals=${BENCH_DEALS:-1000000}
conns=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
target_ratio=0.7

: "${LTVD_BIN:?LTVD_BIN must name the ltvd binary}"
: "${BASELINE_BIN:?BASELINE_BIN must name the baseline binary}"
: "${SQLCHECK_BIN:?SQLCHECK_BIN must name the sqlcheck binary}"

scenarios=("$@")
[ "${#scenarios[@]}" -gt 0 ] || scenarios=(read deals-by-customer deals-write)
for s in "${scenarios[@]}"; do
  case $s in
    read | deals-by-customer | deals-write) ;;
    *)
      echo "bench: unknown scenario '$s' (read, deals-by-customer, deals-write)" >&2
      exit 2
      ;;
  esac
done

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

# The baseline must run ltvd's statements, not a copy that has drifted from them.
if ! diff <("$SQLCHECK_BIN" customer_get deal_list_customer deal_create data_version_bump) \
  <("$BASELINE_BIN" --print-sql) >"$tmp/sql.diff"; then
  cat "$tmp/sql.diff" >&2
  die "baseline.c's SQL differs from ltvd's (above: < ltvd, > baseline); copy it again"
fi

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
timeout 300 psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -v deals="$deals" -d "$url" \
  -f "$here/gen.sql" || die "gen.sql failed"
t1=$(date +%s.%N)
log "loaded $n customers and $deals deals in" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

# new_key SCOPE: prints a new ltvd key of SCOPE.
new_key() {
  local k
  k=$(timeout 60 "$LTVD_BIN" key create --scope "$1" --name "bench-$1" \
    2>"$tmp/key.log" | tail -n 1) || { cat "$tmp/key.log" >&2; die "ltvd key create failed"; }
  [[ $k =~ ^ltvd_[0-9a-f]{64}$ ]] || die "ltvd key create printed '$k', not a key"
  echo "$k"
}
key=$(new_key read)
write_key=$(new_key write)

# --- the servers --------------------------------------------------------------------
ltvd_port=$(free_port $((20000 + $$ % 10000)))
# Without the analytics worker: the baseline has none, and on 2 cores its full runs (one
# at start, then one after every pause in the write runs) would compete with wrk; the
# recompute and write-to-effect benches measure it.
LTVD_RATE_LIMIT=0 LTVD_THREADS=2 LTVD_WORKER=off \
  "$LTVD_BIN" serve --listen "127.0.0.1:$ltvd_port" >"$tmp/ltvd.out" 2>"$tmp/ltvd.log" &
ltvd_pid=$!
wait_http "$ltvd_pid" ltvd "http://127.0.0.1:$ltvd_port/v1/customers/1" 200 \
  "Authorization: Bearer $key"

base_port=$(free_port $((ltvd_port + 1)))
"$BASELINE_BIN" "$base_port" "$url" >/dev/null 2>"$tmp/baseline.log" &
base_pid=$!
wait_http "$base_pid" baseline "http://127.0.0.1:$base_port/v1/customers/1" 200

# --- the same request to both, to show the two do comparable work --------------------
# check_head LABEL HEADFILE BODYFILE WANT: the status line must hold WANT; warns when
# keep-alive is lost.
check_head() {
  head -n 1 "$2" | grep -q " $4" || die "$1 answered $(head -n 1 "$2"): $(cat "$3")"
  if grep -qi '^connection: *close' "$2"; then
    log "WARNING: $1 answers 'Connection: close' (keep-alive lost, see PITFALLS)"
  fi
}

# compare LABEL: compares $tmp/ltvd.body and $tmp/baseline.body (after the sed script
# $2, when given, masks what must differ).
compare() {
  local what=$1 mask=${2:-}
  if cmp -s <(sed -e "$mask" "$tmp/ltvd.body") <(sed -e "$mask" "$tmp/baseline.body"); then
    log "ltvd and baseline return identical bodies for $what${mask:+ (ids and times aside)}"
  else
    log "bodies for $what differ:"
    log "  ltvd:     $(cat "$tmp/ltvd.body")"
    log "  baseline: $(cat "$tmp/baseline.body")"
  fi
}

# sample_get PATH: GET PATH from both; both must answer 200.
sample_get() {
  curl -s -m 10 -D "$tmp/ltvd.head" -o "$tmp/ltvd.body" -H "Authorization: Bearer $key" \
    "http://127.0.0.1:$ltvd_port$1" || die "ltvd did not answer"
  curl -s -m 10 -D "$tmp/baseline.head" -o "$tmp/baseline.body" \
    "http://127.0.0.1:$base_port$1" || die "baseline did not answer"
  check_head ltvd "$tmp/ltvd.head" "$tmp/ltvd.body" 200
  check_head baseline "$tmp/baseline.head" "$tmp/baseline.body" 200
  compare "GET $1"
}

# sample_post PATH BODY: POST BODY to PATH on both; both must answer 201.
sample_post() {
  curl -s -m 10 -D "$tmp/ltvd.head" -o "$tmp/ltvd.body" -H "Authorization: Bearer $write_key" \
    -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$ltvd_port$1" \
    || die "ltvd did not answer"
  curl -s -m 10 -D "$tmp/baseline.head" -o "$tmp/baseline.body" \
    -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$base_port$1" \
    || die "baseline did not answer"
  check_head ltvd "$tmp/ltvd.head" "$tmp/ltvd.body" 201
  check_head baseline "$tmp/baseline.head" "$tmp/baseline.body" 201
  compare "POST $1" 's/"id":[0-9]*//; s/"created_at":"[^"]*"//; s/"updated_at":"[^"]*"//'
}

sql() { timeout 60 psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }

# cpu_ticks PID...: user + system clock ticks used so far by the processes (all their
# threads).  The machine may be shared: throughput then moves with other people's load,
# while the CPU time a server and PostgreSQL spend per request hardly does.
cpu_ticks() {
  local p t=0 f
  for p in "$@"; do
    f=$(cut -d ')' -f 2- "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  echo "$t"
}
# pg_ticks: cpu_ticks of the cluster's processes (postmaster and its children:
# backends, writers, autovacuum).
pg_ticks() {
  local pm
  local -a pids=()
  pm=$(_pg_pid "$tmp/pg") || {
    echo 0
    return 0
  }
  read -r -a pids <<<"$(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
  cpu_ticks "$pm" "${pids[@]}"
}
hz=$(getconf CLK_TCK)

# --- the runs -----------------------------------------------------------------------
# run_wrk SCENARIO LABEL SECONDS: one wrk run of SCENARIO against LABEL
# (ltvd|baseline); appends "SCENARIO LABEL rps p50_us p99_us non2xx sockerr" to
# $tmp/results unless it is a warm-up.  A deals-write run must leave exactly one new
# deal and one new history row per answered request (plus at most one per connection
# for requests the server finished after wrk stopped counting).
run=0
warm=0
run_wrk() {
  local scenario=$1 label=$2 secs=$3 port pid auth="" out line name script before=""
  if [ "$warm" = 1 ]; then
    name="warm-up"
  else
    run=$((run + 1))
    name="run $run"
  fi
  case $scenario in
    read) script=read.lua ;;
    deals-by-customer) script=deals_by_customer.lua ;;
    deals-write) script=deals_write.lua ;;
  esac
  if [ "$label" = ltvd ]; then
    port=$ltvd_port pid=$ltvd_pid auth="Bearer $key"
    [ "$scenario" != deals-write ] || auth="Bearer $write_key"
  else
    port=$base_port pid=$base_pid
  fi
  [ "$scenario" != deals-write ] \
    || before=$(sql 'SELECT (SELECT count(*) FROM deals), (SELECT count(*) FROM deal_stage_history)')
  out="$tmp/wrk-$scenario-${name/ /-}-$label.txt"
  local srv0 pg0
  srv0=$(cpu_ticks "$pid")
  pg0=$(pg_ticks)
  BENCH_N=$n BENCH_AUTH=$auth timeout $((secs + 60)) \
    wrk -t"$wrk_threads" -c"$conns" -d"${secs}s" --timeout 5s -s "$here/$script" \
    "http://127.0.0.1:$port" >"$out" 2>&1 || {
    kill -0 "$pid" 2>/dev/null || die "$label died during $scenario $name"
    cat "$out" >&2
    die "wrk failed against $label"
  }
  kill -0 "$pid" 2>/dev/null || die "$label died during $scenario $name"
  local srv_ticks pg_used
  srv_ticks=$(($(cpu_ticks "$pid") - srv0))
  pg_used=$(($(pg_ticks) - pg0))
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no summary from wrk"; }
  local requests rps p50 p99 non2xx sockerr
  read -r requests rps p50 p99 non2xx sockerr < <(printf '%s\n' "$line" | awk '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print v["requests"], v["rps"], v["p50_us"], v["p99_us"], v["non2xx"], v["sockerr"] }')
  if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then
    log "$label $scenario $name: $non2xx non-2xx responses, $sockerr socket errors"
    failed=1
  fi
  if [ -n "$before" ]; then
    sleep 0.5 # requests wrk gave up counting may still be committing
    local after d0 h0 d1 h1
    after=$(sql 'SELECT (SELECT count(*) FROM deals), (SELECT count(*) FROM deal_stage_history)')
    IFS='|' read -r d0 h0 <<<"$before"
    IFS='|' read -r d1 h1 <<<"$after"
    log "$label $scenario $name: $requests requests answered, $((d1 - d0)) deals and" \
      "$((h1 - h0)) history rows inserted"
    if [ $((d1 - d0)) -lt "$requests" ] || [ $((d1 - d0)) -gt $((requests + conns)) ] \
      || [ $((h1 - h0)) -ne $((d1 - d0)) ]; then
      log "$label $scenario $name: the rows inserted do not match the requests answered"
      failed=1
    fi
  fi
  # CPU microseconds per answered request: the server process, the cluster
  local srv_us=0 pg_us=0
  if [ "$requests" -gt 0 ]; then
    srv_us=$((srv_ticks * 1000000 / hz / requests))
    pg_us=$((pg_used * 1000000 / hz / requests))
  fi
  [ "$warm" = 1 ] \
    || echo "$scenario $label $rps $p50 $p99 $non2xx $sockerr $srv_us $pg_us" >>"$tmp/results"
}

# The scenarios in a fixed order, the write last.
for scenario in read deals-by-customer deals-write; do
  [[ " ${scenarios[*]} " == *" $scenario "* ]] || continue
  case $scenario in
    read) sample_get /v1/customers/2 ;;
    deals-by-customer) sample_get '/v1/deals?customer_id=2&limit=100' ;;
    deals-write)
      sample_post /v1/deals '{"customer_id":2,"pipeline":"new_business","amount":123400,"product":"bench-crm-standard","expected_close_date":"2027-01-31"}'
      ;;
  esac
  warm=1
  run_wrk "$scenario" baseline "$warmup"
  run_wrk "$scenario" ltvd "$warmup"
  warm=0
  for _ in $(seq "$rounds"); do
    run_wrk "$scenario" baseline "$seconds"
    run_wrk "$scenario" ltvd "$seconds"
  done
done

log "wrk -t$wrk_threads -c$conns -d${seconds}s, $n customers, $deals deals" \
  "(before the write runs); srv-us, pg-us: CPU microseconds per request of the server" \
  "and of PostgreSQL (all its processes)"
awk -v target="$target_ratio" '
  function ms(us) { return sprintf("%.2f ms", us / 1000) }
  {
    if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 }
    rows[$1] = rows[$1] sprintf("%-4d %-9s %10.0f %10s %10s %8d %8d %8d %8d\n", ++nr[$1],
                                $2, $3, ms($4), ms($5), $6, $7, $8, $9)
    key = $1 SUBSEP $2
    rps[key] += $3; p50[key] += $4; p99[key] += $5; bad[key] += $6; err[key] += $7; k[key]++
    srv[key] += $8; pg[key] += $9
  }
  END {
    for (s = 1; s <= ns; s++) {
      sc = order[s]
      printf "\n== %s\n", sc
      printf "%-4s %-9s %10s %10s %10s %8s %8s %8s %8s\n", "run", "target", "req/s", "p50",
             "p99", "non-2xx", "sockerr", "srv-us", "pg-us"
      printf "%s", rows[sc]
      for (i = 1; i <= 2; i++) {
        t = i == 1 ? "baseline" : "ltvd"
        key = sc SUBSEP t
        printf "mean %-9s %10.0f %10s %10s %8d %8d %8d %8d\n", t, rps[key] / k[key],
               ms(p50[key] / k[key]), ms(p99[key] / k[key]), bad[key], err[key],
               srv[key] / k[key], pg[key] / k[key]
      }
      l = sc SUBSEP "ltvd"; b = sc SUBSEP "baseline"
      ratio = (rps[l] / k[l]) / (rps[b] / k[b])
      printf "%s: ratio ltvd/baseline = %.2f (target >= %s): %s\n", sc, ratio, target,
             (ratio >= target ? "PASS" : "BELOW TARGET")
      cl = (srv[l] + pg[l]) / k[l]; cb = (srv[b] + pg[b]) / k[b]
      if (cl > 0)
        printf "%s: CPU per request (server + PostgreSQL) baseline/ltvd = %.2f\n", sc,
               cb / cl
    }
  }' "$tmp/results"

kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd died"
kill -0 "$base_pid" 2>/dev/null || die "baseline died"
problems=$(grep -ciE 'error|fatal|warn' "$tmp/ltvd.log" || true)
if [ "$problems" -gt 0 ]; then
  log "ltvd logged $problems error/warning lines; the first ones:"
  grep -iE 'error|fatal|warn' "$tmp/ltvd.log" | head -n 5 >&2
fi
[ "$failed" = 0 ] || die "FAILED: non-2xx responses, socket errors or missing rows (see above)"
