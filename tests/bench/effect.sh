#!/usr/bin/env bash
# write-to-effect: the time from one write through the API to the analytics that
# reflect it (SPEC sections 5 and 7, issue 5), at demo scale and at SPEC scale.
#
# Usage: effect.sh [demo] [spec]     (default: both, demo first)
#   demo  `ltvd demo` data (T = BENCH_TODAY);
#   spec  gen.sql + gen_analytics.sql (100,000 customers, 1,000,000 deals, 2,000,000
#         MRR lines, 500,000 signals).
# For each scale, on a fresh database of one throwaway cluster: `ltvd serve` (with its
# analytics worker, LTVD_TODAY set), wait until GET /v1/analytics/status says not stale,
# then BENCH_WRITES times, one after the other:
#   * alternately PATCH an open deal into its pipeline's won stage, and PUT one
#     customer's MRR lines of month M with one line changed (+1.00);
#   * note the write's X-Ltvd-Data-Version v, then GET /v1/analytics/status every 20 ms
#     until computed_version >= v; the time from sending the write to that answer is the
#     write-to-effect time.
# Prints each write's figures and per scale the median and max (target <= 2 s; above it
# is reported, not failed).  Exit 1 when a write is refused, a header is missing, the
# worker never catches up (BENCH_EFFECT_TIMEOUT) or ltvd dies.
#
# Environment:
#   LTVD_BIN              the binary (meson sets it)
#   LTVD_SOURCE_ROOT      the source tree (default: two folders up from this file)
#   BENCH_WRITES          writes per scale                                  [5]
#   BENCH_TODAY           T (LTVD_TODAY, and the generators' today)         [2026-11-15]
#   BENCH_N               customers at SPEC scale; deals, MRR lines and signals are
#                         10, 20 and 5 times as many                         [100000]
#   BENCH_EFFECT_TIMEOUT  seconds to wait for one write's effect             [120]
#   BENCH_READY_TIMEOUT   seconds to wait for the first run after start     [900]
#   BENCH_KEEP=1          keep the temporary folder (logs) and print its path

set -euo pipefail
export LC_ALL=C # byte lengths for Content-Length, '.' in EPOCHREALTIME

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LTVD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
writes=${BENCH_WRITES:-5}
today=${BENCH_TODAY:-2026-11-15}
n=${BENCH_N:-100000}
effect_timeout=${BENCH_EFFECT_TIMEOUT:-120}
ready_timeout=${BENCH_READY_TIMEOUT:-900}
target_ms=2000

: "${LTVD_BIN:?LTVD_BIN must name the ltvd binary}"

scales=("$@")
[ "${#scales[@]}" -gt 0 ] || scales=(demo spec)
for s in "${scales[@]}"; do
  case $s in
    demo | spec) ;;
    *)
      echo "bench: unknown scale '$s' (demo, spec)" >&2
      exit 2
      ;;
  esac
done

for tool in curl psql timeout awk; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: $tool is not installed; skipping" >&2
    exit 77
  fi
done
# shellcheck source=../../scripts/pg.sh
. "$root/scripts/pg.sh"

tmp=$(mktemp -d /tmp/ltvd-bench-effect.XXXXXX)
chmod 755 "$tmp" # the cluster folder inside must be reachable by the postgres user
ltvd_pid=""

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# Stops the ltvd we started: SIGTERM, up to 10 s for it to leave, then SIGKILL.
stop_ltvd() {
  local pid=$ltvd_pid
  ltvd_pid=""
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "ltvd (pid $pid) ignored SIGTERM for 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_ltvd
  if [ "$rc" -ne 0 ] && [ -n "${log_file:-}" ] && [ -s "$log_file" ]; then
    log "last lines of ltvd's log:"
    tail -n 20 "$log_file" >&2
  fi
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
trap '' PIPE # a write to a connection the server closed fails instead of killing us

# The clock and the HTTP exchanges of the measurement fork nothing: on 2 busy cores a
# fork of curl, grep or date costs tens of milliseconds, more than the 20 ms between
# polls.  now_ms: milliseconds since the epoch.
now_ms() {
  local t=${EPOCHREALTIME/./}
  echo $((t / 1000))
}
# nap: 20 ms, by a read that times out on a pipe nobody writes to.
exec {nap_fd}<> <(:)
nap() { read -r -t 0.02 -u "$nap_fd" _ || true; }

# A minimal HTTP/1.1 client over one kept-alive connection (bash's /dev/tcp) to
# 127.0.0.1:$port with key $key.  http METHOD PATH [BODY] sets http_code, http_head
# (the header lines, lowercased) and http_body; it fails when no answer comes.
http_fd=""
http_close() {
  [ -z "$http_fd" ] || exec {http_fd}>&-
  http_fd=""
}
http() {
  local method=$1 path=$2 body=${3-} req line len="" chunked=0 size chunk attempt
  req="$method $path HTTP/1.1"$'\r\n'"Host: 127.0.0.1"$'\r\n'
  req+="Authorization: Bearer $key"$'\r\n'
  [ -z "$body" ] \
    || req+="Content-Type: application/json"$'\r\n'"Content-Length: ${#body}"$'\r\n'
  req+=$'\r\n'"$body"
  for attempt in 1 2; do
    if [ -z "$http_fd" ]; then
      exec {http_fd}<>"/dev/tcp/127.0.0.1/$port" || {
        http_fd=""
        return 1
      }
    fi
    if printf '%s' "$req" 1>&"$http_fd" 2>/dev/null \
      && IFS= read -r -t 30 -u "$http_fd" line; then
      break
    fi
    # the server closed the kept-alive connection: once more on a new one
    http_close
    [ "$attempt" = 1 ] || return 1
  done
  line=${line%$'\r'}
  http_code=${line#* }
  http_code=${http_code%% *}
  http_head=""
  while IFS= read -r -t 30 -u "$http_fd" line; do
    line=${line%$'\r'}
    [ -n "$line" ] || break
    line=${line,,}
    http_head+=$line$'\n'
    case $line in
      content-length:*) len=${line#*:} len=${len// /} ;;
      transfer-encoding:*chunked*) chunked=1 ;;
    esac
  done
  http_body=""
  if [ "$chunked" = 1 ]; then
    while IFS= read -r -t 30 -u "$http_fd" line; do
      size=$((16#${line%%[;$'\r']*}))
      if [ "$size" = 0 ]; then
        IFS= read -r -t 30 -u "$http_fd" line
        break
      fi
      IFS= read -r -N "$size" -t 30 -u "$http_fd" chunk
      http_body+=$chunk
      IFS= read -r -t 30 -u "$http_fd" line
    done
  elif [ -n "$len" ] && [ "$len" -gt 0 ]; then
    IFS= read -r -N "$len" -t 30 -u "$http_fd" http_body
  fi
  case $http_head in *"connection: close"*) http_close ;; esac
  return 0
}
# status_field KEY: the scalar KEY has in the last answer's body (number, true, false).
status_field() {
  if [[ $http_body =~ \"$1\"[[:space:]]*:[[:space:]]*([0-9a-z.]+) ]]; then
    echo "${BASH_REMATCH[1]}"
  fi
}

# --- the cluster --------------------------------------------------------------------
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

# --- one scale ----------------------------------------------------------------------
# measure SCALE: loads SCALE's data into a new database, serves it and times the writes;
# appends "SCALE i kind version write_ms effect_ms polls" to $tmp/results.
measure() {
  local scale=$1 url db key port t0 t1
  db=ltvd_$scale
  url=$(pg_conninfo "$tmp/pg" "$pg_port" "$db")
  timeout 60 psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "CREATE DATABASE $db" \
    || die "cannot create database $db"
  export LTVD_DATABASE_URL=$url LTVD_TODAY=$today
  timeout 120 "$LTVD_BIN" migrate >"$tmp/migrate-$scale.log" 2>&1 \
    || { cat "$tmp/migrate-$scale.log" >&2; die "ltvd migrate failed"; }
  t0=$(now_ms)
  if [ "$scale" = demo ]; then
    timeout 300 "$LTVD_BIN" demo >"$tmp/demo.log" 2>&1 \
      || { cat "$tmp/demo.log" >&2; die "ltvd demo failed"; }
  else
    timeout 900 psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -v deals=$((10 * n)) \
      -v today="$today" -d "$url" -f "$here/gen.sql" || die "gen.sql failed"
    timeout 900 psql -X -q -v ON_ERROR_STOP=1 -v mrr_lines=$((20 * n)) \
      -v signals=$((5 * n)) -v today="$today" -d "$url" -f "$here/gen_analytics.sql" \
      || die "gen_analytics.sql failed"
  fi
  timeout 600 psql -X -q -v ON_ERROR_STOP=1 -d "$url" -c 'VACUUM ANALYZE' \
    || die "VACUUM ANALYZE failed"
  t1=$(now_ms)
  sq() { timeout 60 psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }
  log "$scale: loaded in $(((t1 - t0) / 1000)) s: $(sq "SELECT (SELECT count(*) FROM
    customers) || ' customers, ' || (SELECT count(*) FROM deals) || ' deals, ' ||
    (SELECT count(*) FROM mrr_lines) || ' MRR lines, ' || (SELECT count(*) FROM signals)
    || ' signals'")"

  key=$(timeout 60 "$LTVD_BIN" key create --scope admin --name bench-effect \
    2>"$tmp/key.log" | tail -n 1) \
    || { cat "$tmp/key.log" >&2; die "ltvd key create failed"; }
  [[ $key =~ ^ltvd_[0-9a-f]{64}$ ]] || die "ltvd key create printed '$key', not a key"

  # What to write: open deals of live customers with their pipeline's won stage, and
  # live customers with MRR lines in M (the month of T when it has lines, else the one
  # before), each with that month's lines, the first one raised by 100.
  local month
  month=$(sq "SELECT to_char(CASE WHEN EXISTS (SELECT 1 FROM mrr_lines
                WHERE month = date_trunc('month', date '$today'))
              THEN date_trunc('month', date '$today')
              ELSE date_trunc('month', date '$today') - interval '1 month' END, 'YYYY-MM')")
  sq "SELECT d.id || ' ' || w.key FROM deals d
      JOIN customers c ON c.id = d.customer_id AND c.archived_at IS NULL
      JOIN pipeline_stages s ON s.pipeline = d.pipeline AND s.key = d.stage
      JOIN LATERAL (SELECT key FROM pipeline_stages
                    WHERE pipeline = d.pipeline AND state = 'won'
                    ORDER BY position LIMIT 1) AS w ON true
      WHERE s.state = 'open' ORDER BY d.id LIMIT $writes" >"$tmp/deals-$scale"
  sq "SELECT m.customer_id || ' ' || json_build_object('lines', json_agg(json_build_object(
        'product', m.product, 'mrr', m.mrr + CASE WHEN m.rn = 1 THEN 100 ELSE 0 END)
        ORDER BY m.product))
      FROM (SELECT l.*, row_number() OVER (PARTITION BY l.customer_id ORDER BY l.product) rn
            FROM mrr_lines l
            WHERE l.month = to_date('$month', 'YYYY-MM')
              AND l.customer_id IN (SELECT l2.customer_id FROM mrr_lines l2
                                    JOIN customers c ON c.id = l2.customer_id
                                                    AND c.archived_at IS NULL
                                    WHERE l2.month = to_date('$month', 'YYYY-MM')
                                    GROUP BY l2.customer_id
                                    ORDER BY l2.customer_id LIMIT $writes)) AS m
      GROUP BY m.customer_id ORDER BY m.customer_id" >"$tmp/mrr-$scale"
  [ "$(wc -l <"$tmp/deals-$scale")" -ge $(((writes + 1) / 2)) ] \
    || die "$scale: not enough open deals to win"
  [ "$(wc -l <"$tmp/mrr-$scale")" -ge $((writes / 2)) ] \
    || die "$scale: not enough customers with MRR in $month"
  local mrr_ids mrr_before
  mrr_ids=$(cut -d ' ' -f 1 "$tmp/mrr-$scale" | head -n $((writes / 2)) | paste -sd, -)
  mrr_before=$(sq "SELECT coalesce(sum(mrr), 0) FROM mrr_lines
                   WHERE month = to_date('$month', 'YYYY-MM')
                     AND customer_id IN (${mrr_ids:-0})")

  port=$(pg_free_port $((20000 + $$ % 10000))) || die "no free port"
  log_file=$tmp/ltvd-$scale.log
  LTVD_RATE_LIMIT=0 LTVD_THREADS=2 \
    "$LTVD_BIN" serve --listen "127.0.0.1:$port" >"$tmp/ltvd-$scale.out" 2>"$log_file" &
  ltvd_pid=$!
  local base=http://127.0.0.1:$port got="" i
  for _ in $(seq 300); do
    kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd exited while starting"
    got=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$base/healthz" || true)
    [ "$got" = 200 ] && break
    sleep 0.1
  done
  [ "$got" = 200 ] || die "ltvd did not answer /healthz within 30 s"

  # The first run after start: until the status is not stale.
  t0=$(now_ms)
  local deadline=$((t0 + ready_timeout * 1000))
  while :; do
    kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd died while computing its first run"
    http_body=""
    http GET /v1/analytics/status || true
    [ "$(status_field stale)" = false ] && break
    [ "$(now_ms)" -lt "$deadline" ] \
      || die "$scale: analytics still stale ${ready_timeout} s after start" \
        "(status: $http_body)"
    sleep 0.2
  done
  log "$scale: first run published $(($(now_ms) - t0)) ms after /healthz answered" \
    "(data version $(status_field computed_version))"

  local kind path body method line version w0 w1 e1 computed polls
  for i in $(seq "$writes"); do
    if [ $((i % 2)) = 1 ]; then
      kind=deal-won
      line=$(sed -n "$(((i + 1) / 2))p" "$tmp/deals-$scale")
      method=PATCH path=/v1/deals/${line%% *} body="{\"stage\":\"${line#* }\"}"
    else
      kind=mrr-put
      line=$(sed -n "$((i / 2))p" "$tmp/mrr-$scale")
      method=PUT path=/v1/customers/${line%% *}/mrr/$month body=${line#* }
    fi
    w0=$(now_ms)
    http "$method" "$path" "$body" || die "$scale: $method $path: no answer"
    w1=$(now_ms)
    case $http_code in
      200 | 201) ;;
      *) die "$scale: $method $path answered '$http_code': $http_body" ;;
    esac
    version=""
    [[ $http_head =~ x-ltvd-data-version:[[:space:]]*([0-9]+) ]] \
      && version=${BASH_REMATCH[1]}
    [ -n "$version" ] || die "$scale: $method $path gave no X-Ltvd-Data-Version"
    polls=0
    while :; do
      polls=$((polls + 1))
      http_body=""
      http GET /v1/analytics/status || true
      computed=$(status_field computed_version)
      if [[ $computed =~ ^[0-9]+$ ]] && [ "$computed" -ge "$version" ]; then
        e1=$(now_ms)
        break
      fi
      kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd died while waiting for version $version"
      [ $(($(now_ms) - w0)) -lt $((effect_timeout * 1000)) ] \
        || die "$scale: version $version not computed within $effect_timeout s" \
          "(status: $http_body)"
      nap
    done
    echo "$scale $i $kind $version $((w1 - w0)) $((e1 - w0)) $polls" >>"$tmp/results"
    log "$scale: write $i ($kind, $method $path): version $version," \
      "answered in $((w1 - w0)) ms, in the analytics after $((e1 - w0)) ms"
  done

  # The writes reached the data, not only the version counter.
  local won deal_ids
  deal_ids=$(cut -d ' ' -f 1 "$tmp/deals-$scale" | head -n $(((writes + 1) / 2)) \
    | paste -sd, -)
  won=$(sq "SELECT count(*) FROM deals d JOIN pipeline_stages s
              ON s.pipeline = d.pipeline AND s.key = d.stage
            WHERE s.state = 'won' AND d.closed_at = date '$today'
              AND d.id IN ($deal_ids)")
  [ "$won" = $(((writes + 1) / 2)) ] || die "$scale: $won of the deals are won on $today"
  local mrr_after
  mrr_after=$(sq "SELECT coalesce(sum(mrr), 0) FROM mrr_lines
                  WHERE month = to_date('$month', 'YYYY-MM')
                    AND customer_id IN (${mrr_ids:-0})")
  [ "$mrr_after" = $((mrr_before + 100 * (writes / 2))) ] \
    || die "$scale: MRR of the customers written is $mrr_after," \
      "expected $mrr_before + 100 each"

  kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd died"
  printf '%s\n' "$http_body" >"$tmp/status-$scale.json"
  http_close
  stop_ltvd
  local problems
  problems=$(grep -ciE '"level":"(error|fatal)"|error|fatal' "$log_file" || true)
  [ "$problems" = 0 ] || {
    log "$scale: ltvd logged $problems error lines; the first ones:"
    grep -iE 'error|fatal' "$log_file" | head -n 5 >&2
  }
}

: >"$tmp/results"
for s in "${scales[@]}"; do
  measure "$s"
done

log "writes one after the other; effect = from sending the write until" \
  "GET /v1/analytics/status shows computed_version >= its X-Ltvd-Data-Version" \
  "(polled every 20 ms)"
awk -v target="$target_ms" '
  {
    if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 }
    k = ++cnt[$1]; eff[$1, k] = $6
    rows[$1] = rows[$1] sprintf("%-6s %3d %-9s %8d %9d %10d %6d\n", $1, $2, $3, $4, $5,
                                $6, $7)
  }
  END {
    printf "%-6s %3s %-9s %8s %9s %10s %6s\n", "scale", "#", "write", "version",
           "write ms", "effect ms", "polls"
    for (s = 1; s <= ns; s++) printf "%s", rows[order[s]]
    for (s = 1; s <= ns; s++) {
      sc = order[s]; m = cnt[sc]
      for (i = 1; i <= m; i++) v[i] = eff[sc, i]
      for (i = 1; i <= m; i++)
        for (j = i + 1; j <= m; j++)
          if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      med = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
      printf "%s: write-to-effect median %.0f ms, max %d ms (target <= %d ms): %s\n", sc,
             med, v[m], target, (v[m] <= target ? "PASS" : "ABOVE TARGET")
    }
  }' "$tmp/results"
