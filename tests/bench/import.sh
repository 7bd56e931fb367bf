#!/usr/bin/env bash
# import: `ltvd import customers FILE` of a generated CSV file against the physical
# limit, `psql \copy` of the same file into a plain table with the same columns, both
# on one throwaway PostgreSQL cluster in the same run (SPEC section 6). Prints rows/s of
# each and the ratio of the times (target <= 2.5; above it is reported, not failed).
# A second \copy into a table with the indexes of customers shows what those indexes
# cost by themselves: most of the gap to the plain table.
#
# The issue asks for deals; the import of deals is not built yet (see the README), so
# this measures customers, the widest of the imported resources.
#
# Environment:
#   LTVD_BIN            the binary (meson sets it)
#   LTVD_SOURCE_ROOT    the source tree (default: two folders up from this file)
#   BENCH_ROWS          rows to generate                         [1000000]
#   BENCH_KEEP=1        keep the temporary folder and print its path

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LTVD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
rows=${BENCH_ROWS:-1000000}
target_ratio=2.5

: "${LTVD_BIN:?LTVD_BIN must name the ltvd binary}"
for tool in curl psql timeout awk; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: $tool is not installed; skipping" >&2
    exit 77
  fi
done
# shellcheck source=../../scripts/pg.sh
. "$root/scripts/pg.sh"

tmp=$(mktemp -d /tmp/ltvd-bench-import.XXXXXX)
chmod 755 "$tmp"
ltvd_pid=""

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$ltvd_pid" ] && kill -0 "$ltvd_pid" 2>/dev/null; then
    kill -TERM "$ltvd_pid" 2>/dev/null || true
    wait "$ltvd_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$tmp/ltvd.log" ]; then
    log "last lines of ltvd's log:"
    tail -n 20 "$tmp/ltvd.log" >&2
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

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- the file: deterministic, quoted names with commas, some empty cells -----------------
awk -v n="$rows" 'BEGIN {
  split("software,retail,manufacturing,health,finance,logistics", ind, ",")
  split("DE,FR,US,GB,NL,ES,IT,SE", cty, ",")
  split("web,partner,outbound,event", ch, ",")
  print "external_id,name,industry,employee_count,annual_revenue,acquisition_channel,country"
  for (i = 1; i <= n; i++)
    printf "crm-%d,\"Company %d, Ltd.\",%s,%d,%d,%s,%s\n", i, i, ind[i % 6 + 1],
           (i * 7919) % 5000, (i * 104729) % 100000000, i % 5 ? ch[i % 4 + 1] : "",
           cty[i % 8 + 1]
}' >"$tmp/customers.csv"
log "generated $rows rows, $(du -m "$tmp/customers.csv" | cut -f1) MiB"

# --- the database and ltvd ----------------------------------------------------------
pg_init "$tmp/pg" >/dev/null || die "initdb failed"
pg_port=$((40000 + $$ % 10000))
for attempt in 1 2 3; do
  pg_port=$(pg_free_port "$pg_port")
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
key=$(timeout 60 "$LTVD_BIN" key create --scope write --name bench 2>"$tmp/key.log" | tail -n 1) \
  || { cat "$tmp/key.log" >&2; die "ltvd key create failed"; }

ltvd_port=$(pg_free_port $((20000 + $$ % 10000)))
LTVD_RATE_LIMIT=0 LTVD_THREADS=2 \
  "$LTVD_BIN" serve --listen "127.0.0.1:$ltvd_port" >"$tmp/ltvd.out" 2>"$tmp/ltvd.log" &
ltvd_pid=$!
for _ in $(seq 300); do
  curl -s -o /dev/null -m 2 "http://127.0.0.1:$ltvd_port/healthz" && break
  kill -0 "$ltvd_pid" 2>/dev/null || die "ltvd exited while starting"
  sleep 0.1
done

# --- the baseline: \copy into a plain table with the same columns ---------------------
psql -X -q -v ON_ERROR_STOP=1 -d "$url" -c 'CREATE TABLE copy_baseline (external_id text,
  name text, industry text, employee_count integer, annual_revenue bigint,
  acquisition_channel text, country text)' || die "cannot create the baseline table"
t0=$(now)
timeout 600 psql -X -q -v ON_ERROR_STOP=1 -d "$url" \
  -c "\\copy copy_baseline FROM '$tmp/customers.csv' WITH (FORMAT csv, HEADER true)" \
  || die "psql \\copy failed"
t1=$(now)
copy_s=$(elapsed "$t0" "$t1")
psql -X -q -v ON_ERROR_STOP=1 -d "$url" -c 'CREATE TABLE copy_indexed (LIKE copy_baseline)' \
  -c 'CREATE UNIQUE INDEX ON copy_indexed (external_id)' \
  -c 'CREATE INDEX ON copy_indexed (lower(name) text_pattern_ops, external_id)' \
  -c 'CREATE INDEX ON copy_indexed (industry, external_id)' \
  -c 'CREATE INDEX ON copy_indexed (country, external_id)' || die "cannot create copy_indexed"
t0=$(now)
timeout 600 psql -X -q -v ON_ERROR_STOP=1 -d "$url" \
  -c "\\copy copy_indexed FROM '$tmp/customers.csv' WITH (FORMAT csv, HEADER true)" \
  || die "psql \\copy failed"
t1=$(now)
indexed_s=$(elapsed "$t0" "$t1")

# --- ltvd import --------------------------------------------------------------------
t0=$(now)
timeout 600 "$LTVD_BIN" import customers "$tmp/customers.csv" \
  --url "http://127.0.0.1:$ltvd_port" --key "$key" >"$tmp/import.out" 2>"$tmp/import.err" \
  || { cat "$tmp/import.out" "$tmp/import.err" >&2; die "ltvd import failed"; }
t1=$(now)
import_s=$(elapsed "$t0" "$t1")
cat "$tmp/import.out" >&2
have=$(psql -X -qAt -d "$url" -c 'SELECT count(*) FROM customers')
[ "$have" = "$rows" ] || die "ltvd import stored $have customers, expected $rows"

awk -v rows="$rows" -v c="$copy_s" -v x="$indexed_s" -v i="$import_s" \
  -v target="$target_ratio" 'BEGIN {
  printf "%-22s %8s %12s\n", "target", "seconds", "rows/s"
  printf "%-22s %8.2f %12.0f\n", "psql \\copy (plain)", c, rows / c
  printf "%-22s %8.2f %12.0f\n", "psql \\copy (indexed)", x, rows / x
  printf "%-22s %8.2f %12.0f\n", "ltvd import", i, rows / i
  printf "ratio ltvd/indexed copy (time) = %.2f\n", i / x
  ratio = i / c
  printf "ratio ltvd/copy (time) = %.2f (target <= %s): %s\n", ratio, target,
         (ratio <= target ? "PASS" : "ABOVE TARGET")
}'
