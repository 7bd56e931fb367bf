#!/usr/bin/env bash
# recompute: one full analytics run (`ltvd recompute`) at SPEC scale beside PostgreSQL's
# own per-customer GROUP BY over every input table, on one throwaway cluster in the same
# run (SPEC section 7, issue 4).
#
#   1. a fresh cluster, `ltvd migrate`, gen.sql then gen_analytics.sql (100,000
#      customers, 1,000,000 deals with their stage history, 2,000,000 MRR lines,
#      500,000 signals), VACUUM ANALYZE;
#   2. BENCH_RUNS rounds (3), each of
#      - the baseline: for each input table
#          SELECT customer_id, count(*), sum(<a column>) FROM <table> GROUP BY customer_id
#        (the stage history joined to deals for its customer), wrapped so that the rows
#        stay in the server (see baseline_sql) while the aggregates still run (checked
#        in the plan);
#      - `ltvd recompute` with LTVD_TODAY (the data version is bumped before, so each run
#        computes and publishes in full): its JSON report gives load_ms, compute_ms,
#        publish_ms, total_ms and peak_rss_kb; the process's wall time, maximum RSS and
#        CPU time (GNU time) are measured beside it;
#      interleaved so that both sample the same stretches of a shared machine, with the
#      CPU time PostgreSQL's processes spend in each;
#   3. a table, then the ratio of the median total to the baseline = the sum over the
#      four queries of each one's best round (target <= 3; above it is reported, not
#      failed), and the ratio of CPU times, steadier on a busy machine.
# Exit 1 when a step fails, a run does not publish the version it was given, or the
# baseline's plan lost its aggregates.
#
# Environment:
#   LTVD_BIN            the binary (meson sets it)
#   LTVD_SOURCE_ROOT    the source tree (default: two folders up from this file)
#   BENCH_N             customers                        [100000]
#   BENCH_DEALS         deals                            [10 x BENCH_N]
#   BENCH_MRR_LINES     MRR lines                        [20 x BENCH_N]
#   BENCH_SIGNALS       signals                          [5 x BENCH_N]
#   BENCH_TODAY         T, given to the generators and as LTVD_TODAY  [2026-11-15]
#   BENCH_RUNS          ltvd recompute runs              [3]
#   BENCH_KEEP=1        keep the temporary folder (logs, reports) and print its path
# Quick smoke run: BENCH_N=10000 BENCH_RUNS=1

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LTVD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
n=${BENCH_N:-100000}
deals=${BENCH_DEALS:-$((10 * n))}
mrr_lines=${BENCH_MRR_LINES:-$((20 * n))}
signals=${BENCH_SIGNALS:-$((5 * n))}
today=${BENCH_TODAY:-2026-11-15}
runs=${BENCH_RUNS:-3}
target_ratio=3

: "${LTVD_BIN:?LTVD_BIN must name the ltvd binary}"
for tool in psql timeout awk; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: $tool is not installed; skipping" >&2
    exit 77
  fi
done
# GNU time gives the process's maximum RSS beside the report's own figure.
gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true >/dev/null 2>&1; then
  gnu_time=/usr/bin/time
fi
# shellcheck source=../../scripts/pg.sh
. "$root/scripts/pg.sh"

tmp=$(mktemp -d /tmp/ltvd-bench-recompute.XXXXXX)
chmod 755 "$tmp" # the cluster folder inside must be reachable by the postgres user

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  pg_destroy "$tmp/pg" || true
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

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# json_num KEY FILE: the number KEY has in the JSON object in FILE (empty when absent).
json_num() {
  grep -o "\"$1\"[[:space:]]*:[[:space:]]*-\?[0-9][0-9.eE+-]*" "$2" | head -n 1 \
    | sed 's/.*:[[:space:]]*//' || true
}
# json_str KEY FILE: the string KEY has in FILE (empty when absent).
json_str() {
  grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$2" | head -n 1 \
    | sed 's/.*:[[:space:]]*"//; s/"$//' || true
}

# --- the database -------------------------------------------------------------------
# The cluster runs as the HTTP benchmarks' does (fsync off: results are thrown away),
# with room for the load's WAL between checkpoints.
pg_init "$tmp/pg" >/dev/null || die "initdb failed"
pg_port=$((40000 + $$ % 10000))
for attempt in 1 2 3; do
  pg_port=$(pg_free_port "$pg_port") || die "no free port"
  pg_start "$tmp/pg" "$pg_port" fsync=off synchronous_commit=off full_page_writes=off \
    max_wal_size=4GB && break
  [ "$attempt" -lt 3 ] || die "PostgreSQL did not start (see above)"
  pg_port=$((pg_port + 1 + RANDOM % 100))
done
admin_url=$(pg_conninfo "$tmp/pg" "$pg_port" postgres)
url=$(pg_conninfo "$tmp/pg" "$pg_port" ltvd_bench)
timeout 60 psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c 'CREATE DATABASE ltvd_bench' \
  || die "cannot create database ltvd_bench"
export LTVD_DATABASE_URL=$url
timeout 120 "$LTVD_BIN" migrate >"$tmp/migrate.log" 2>&1 \
  || { cat "$tmp/migrate.log" >&2; die "ltvd migrate failed"; }

sql() { timeout 600 psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }

t0=$(now)
timeout 900 psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -v deals="$deals" -v today="$today" \
  -d "$url" -f "$here/gen.sql" || die "gen.sql failed"
t1=$(now)
timeout 900 psql -X -q -v ON_ERROR_STOP=1 -v mrr_lines="$mrr_lines" -v signals="$signals" \
  -v today="$today" -d "$url" -f "$here/gen_analytics.sql" || die "gen_analytics.sql failed"
t2=$(now)
sql 'VACUUM ANALYZE' || die "VACUUM ANALYZE failed"
sql 'CHECKPOINT' || die "CHECKPOINT failed"
t3=$(now)
IFS='|' read -r have_c have_d have_h have_m have_s <<<"$(sql 'SELECT
  (SELECT count(*) FROM customers), (SELECT count(*) FROM deals),
  (SELECT count(*) FROM deal_stage_history), (SELECT count(*) FROM mrr_lines),
  (SELECT count(*) FROM signals)')"
log "loaded in $(elapsed "$t0" "$t3") s (gen.sql $(elapsed "$t0" "$t1") s," \
  "gen_analytics.sql $(elapsed "$t1" "$t2") s, VACUUM ANALYZE $(elapsed "$t2" "$t3") s):" \
  "$have_c customers, $have_d deals, $have_h stage history rows, $have_m MRR lines," \
  "$have_s signals"
if [ "$have_c" != "$n" ] || [ "$have_d" != "$deals" ] || [ "$have_s" != "$signals" ]; then
  die "the generators did not make the rows asked for"
fi
# MRR lines: exactly as asked when the customers can fill them (they can at 20 a customer).
if [ "$have_m" -gt "$mrr_lines" ] || [ $((have_m * 100)) -lt $((mrr_lines * 95)) ]; then
  die "gen_analytics.sql made $have_m MRR lines, asked for $mrr_lines"
fi

# --- the baseline -------------------------------------------------------------------
# baseline_sql TABLE: the per-customer GROUP BY over TABLE, its rows consumed in the
# server.  The outer query must use every column: PostgreSQL drops a subquery's unused
# outputs, so a bare count(*) around it would leave the GROUP BY without its aggregates.
baseline_sql() {
  local inner
  case $1 in
    deals) inner='SELECT customer_id, count(*) AS n, sum(amount) AS total
                  FROM deals GROUP BY customer_id' ;;
    deal_stage_history)
      inner="SELECT d.customer_id, count(*) AS n,
                    sum(date_part('epoch', h.entered_at)) AS total
             FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id
             GROUP BY d.customer_id" ;;
    mrr_lines) inner='SELECT customer_id, count(*) AS n, sum(mrr) AS total
                      FROM mrr_lines GROUP BY customer_id' ;;
    signals) inner='SELECT customer_id, count(*) AS n, sum(value) AS total
                    FROM signals GROUP BY customer_id' ;;
  esac
  echo "SELECT count(*), sum(n), sum(total) FROM ($inner) AS s"
}

tables=(deals deal_stage_history mrr_lines signals)
for t in "${tables[@]}"; do
  sql "EXPLAIN (VERBOSE, COSTS OFF) $(baseline_sql "$t")" >"$tmp/plan-$t.txt" \
    || die "EXPLAIN failed for $t"
  grep -Eq 'customer_id, (PARTIAL )?count\(\*\), (PARTIAL )?sum\(' "$tmp/plan-$t.txt" \
    || { cat "$tmp/plan-$t.txt" >&2; die "the baseline plan for $t lost its aggregates"; }
done

# --- CPU time -----------------------------------------------------------------------
# The machine may be shared: wall times then move with other people's load, while the
# CPU time spent hardly does.  pg_ticks: user + system clock ticks of the cluster so
# far: the postmaster with its reaped children (backends of finished sessions, parallel
# workers) and its live ones.
hz=$(getconf CLK_TCK)
pg_ticks() {
  local pm p f t=0
  pm=$(_pg_pid "$tmp/pg") || {
    echo 0
    return 0
  }
  f=$(cut -d ')' -f 2- "/proc/$pm/stat" 2>/dev/null) || {
    echo 0
    return 0
  }
  t=$(awk '{ print $12 + $13 + $14 + $15 }' <<<"$f")
  for p in $(ps -o pid= --ppid "$pm"); do
    f=$(cut -d ')' -f 2- "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  echo "$t"
}
ticks_ms() { echo $(($1 * 1000 / hz)); }

# --- the rounds ---------------------------------------------------------------------
# Each round runs the four baseline queries once, then ltvd recompute once, so that both
# sample the same stretches of a shared machine.  The baseline is the sum of each
# query's best round; ltvd's figure the median of its runs.
# report_num KEY RUN: KEY of run RUN's report, '-' when absent.
report_num() {
  local v
  v=$(json_num "$1" "$tmp/report-$2.json")
  echo "${v:--}"
}
: >"$tmp/baseline"
: >"$tmp/runs"
for i in $(seq "$runs"); do
  p0=$(pg_ticks)
  for t in "${tables[@]}"; do
    q=$(baseline_sql "$t")
    timeout 600 psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c '\timing on' -c "$q" \
      >"$tmp/time-$t-$i.txt" || die "the baseline query for $t failed"
    ms=$(awk '/^Time: / { printf "%.1f", $2 }' "$tmp/time-$t-$i.txt")
    rows=$(grep -v '^Time: ' "$tmp/time-$t-$i.txt" | head -n 1 | cut -d '|' -f 1)
    echo "$t $ms $rows" >>"$tmp/baseline"
  done
  p1=$(pg_ticks)
  base_cpu=$(ticks_ms $((p1 - p0)))
  log "round $i baseline:" \
    "$(awk -v r="$i" 'NR > (r - 1) * 4 { printf "%s %s ms, ", $1, $2 }' "$tmp/baseline")" \
    "CPU of PostgreSQL $base_cpu ms"

  # A new data version, so that the run computes and publishes instead of skipping.
  version=$(sql 'UPDATE data_version SET version = version + 1 RETURNING version')
  p0=$(pg_ticks)
  t0=$(now)
  rc=0
  if [ -n "$gnu_time" ]; then
    LTVD_TODAY=$today timeout 1200 "$gnu_time" -f '%M %U %S' -o "$tmp/time-$i.txt" \
      "$LTVD_BIN" recompute >"$tmp/report-$i.json" 2>"$tmp/recompute-$i.log" || rc=$?
  else
    LTVD_TODAY=$today timeout 1200 "$LTVD_BIN" recompute >"$tmp/report-$i.json" \
      2>"$tmp/recompute-$i.log" || rc=$?
  fi
  t1=$(now)
  p1=$(pg_ticks)
  if [ "$rc" -ne 0 ]; then
    cat "$tmp/report-$i.json" "$tmp/recompute-$i.log" >&2
    die "ltvd recompute (run $i) exited with status $rc"
  fi
  status=$(json_str status "$tmp/report-$i.json")
  case $status in
    "" | published | ok) ;;
    *)
      cat "$tmp/report-$i.json" >&2
      die "ltvd recompute (run $i) reported status '$status'"
      ;;
  esac
  computed=$(sql 'SELECT computed_version FROM analytics_state')
  [ "$computed" = "$version" ] \
    || die "after run $i the published version is '$computed', not $version"
  total=$(json_num total_ms "$tmp/report-$i.json")
  [ -n "$total" ] || { cat "$tmp/report-$i.json" >&2; die "no total_ms in the report"; }
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
  rss_time=- ltvd_cpu=- run_cpu=-
  if [ -n "$gnu_time" ]; then
    read -r rss_time user_s sys_s < <(tail -n 1 "$tmp/time-$i.txt")
    ltvd_cpu=$(awk -v u="$user_s" -v s="$sys_s" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
    run_cpu=$((ltvd_cpu + $(ticks_ms $((p1 - p0)))))
  fi
  log "round $i ltvd recompute: $(cat "$tmp/report-$i.json"), wall $wall ms," \
    "CPU of ltvd $ltvd_cpu ms, of ltvd and PostgreSQL $run_cpu ms"
  echo "$i $(report_num load_ms "$i") $(report_num compute_ms "$i")" \
    "$(report_num publish_ms "$i") $total $wall $(report_num peak_rss_kb "$i") $rss_time" \
    "$run_cpu $base_cpu" >>"$tmp/runs"
done

# --- the figures --------------------------------------------------------------------
log "T = $today; $have_c customers, $have_d deals, $have_h stage history rows," \
  "$have_m MRR lines, $have_s signals; baseline queries timed by psql \\timing;" \
  "CPU: ltvd's own (GNU time) and all of PostgreSQL's processes"
awk -v target="$target_ratio" '
  function mb(kb) { return kb == "-" ? "-" : sprintf("%.0f MiB", kb / 1024) }
  function ms(v) { return v == "-" ? "-" : sprintf("%.0f", v) }
  function median(a, n,    i, j, t, s) {
    for (i = 1; i <= n; i++) s[i] = a[i]
    for (i = 1; i <= n; i++)
      for (j = i + 1; j <= n; j++)
        if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
    return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
  }
  FNR == 1 { file++ }
  file == 1 {
    if (!($1 in best)) { order[++nb] = $1; best[$1] = $2; groups[$1] = $3 }
    else if ($2 < best[$1]) best[$1] = $2
    all[$1] = all[$1] sprintf(" %8.0f", $2)
    next
  }
  file == 2 { r[++nr] = $0; tot[nr] = $5; cpu[nr] = $9; bcpu[nr] = $10; next }
  END {
    printf "%-20s %10s %10s   %s\n", "baseline query", "best ms", "customers",
           "each round (ms)"
    for (i = 1; i <= nb; i++) {
      t = order[i]; base += best[t]
      printf "%-20s %10.1f %10d  %s\n", t, best[t], groups[t], all[t]
    }
    printf "%-20s %10.1f\n\n", "baseline (sum)", base
    printf "%-4s %8s %8s %8s %8s %8s %9s %9s %9s %9s\n", "run", "load", "compute",
           "publish", "total", "wall", "peak RSS", "max RSS", "CPU ms", "base CPU"
    for (i = 1; i <= nr; i++) {
      split(r[i], f, " ")
      printf "%-4s %8s %8s %8s %8s %8s %9s %9s %9s %9s\n", f[1], ms(f[2]), ms(f[3]),
             ms(f[4]), ms(f[5]), ms(f[6]), mb(f[7]), mb(f[8]), ms(f[9]), ms(f[10])
    }
    med = median(tot, nr)
    printf "(times in ms; CPU ms: ltvd and PostgreSQL during the run; base CPU:\n"
    printf " PostgreSQL during the round'"'"'s four baseline queries)\n"
    if (cpu[1] != "-")
      printf "CPU ratio ltvd recompute/baseline (medians) = %.2f\n",
             median(cpu, nr) / median(bcpu, nr)
    printf "median total %.0f ms, baseline %.0f ms\n", med, base
    ratio = med / base
    printf "ratio ltvd recompute/baseline = %.2f (target <= %s): %s\n", ratio, target,
           (ratio <= target ? "PASS" : "ABOVE TARGET")
  }' "$tmp/baseline" "$tmp/runs"
