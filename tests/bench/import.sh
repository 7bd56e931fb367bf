#!/usr/bin/env bash
# import [KIND]: `ltvd import KIND FILE` of a generated CSV file against the physical
# limit, `psql \copy` of the same file into a plain table with the same columns, both on
# one throwaway PostgreSQL cluster in the same run (issue 7, SPEC section 6). KIND is
# deals (the default: the issue's benchmark), customers, mrr or signals.
#
# Prints, for each, seconds, rows/s and the CPU seconds of PostgreSQL and of the
# clients and ltvd (steadier than seconds on a shared machine), then the ratio of the
# times (target <= 2.5; above it is reported, not failed). A second \copy goes into a
# table with the indexes and constraints (foreign keys included) of the resource's
# table: what those cost by themselves, which no way of sending the rows avoids.
#
# deals, mrr and signals need customers: BENCH_CUSTOMERS of them are imported first
# (`ltvd import customers`, not timed), with ids 1..BENCH_CUSTOMERS, and the file names
# them by customer_id so that the constrained copy can check the same foreign key.
#
# Environment:
#   LTVD_BIN            the binary (meson sets it)
#   LTVD_SOURCE_ROOT    the source tree (default: two folders up from this file)
#   BENCH_ROWS          rows to generate                                 [1000000]
#   BENCH_CUSTOMERS     customers for deals, mrr and signals             [100000]
#   BENCH_JOBS          `ltvd import --jobs` values, one timed run each  ["1 2"]
#   BENCH_KEEP=1        keep the temporary folder and print its path

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LTVD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
kind=${1:-deals}
rows=${BENCH_ROWS:-1000000}
customers=${BENCH_CUSTOMERS:-100000}
jobs_list=${BENCH_JOBS:-1 2}
target_ratio=2.5

case $kind in
  customers | deals | mrr | signals) ;;
  *)
    echo "usage: import.sh [customers|deals|mrr|signals]" >&2
    exit 2
    ;;
esac
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
sql() { timeout 600 psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }

# ticks PID...: user + system clock ticks of the processes, their reaped children
# included (a psql session's backend has exited, and been reaped by the postmaster,
# before its time is read).
ticks() {
  local p t=0 f
  for p in "$@"; do
    f=$(cut -d ')' -f 2- "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + $(awk '{ print $12 + $13 + $14 + $15 }' <<<"$f")))
  done
  echo "$t"
}
# pg_ticks: ticks of the cluster: the postmaster (with the backends it reaped) and its
# live children (backends, writers).
pg_ticks() {
  local pm
  local -a pids=()
  pm=$(_pg_pid "$tmp/pg") || {
    echo 0
    return 0
  }
  read -r -a pids <<<"$(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
  ticks "$pm" "${pids[@]}"
}
hz=$(getconf CLK_TCK)
seconds() { awk -v t="$1" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'; }

# --- the files: deterministic --------------------------------------------------------
gen_customers() { # N FILE: quoted names with commas, some empty cells
  awk -v n="$1" 'BEGIN {
    split("software,retail,manufacturing,health,finance,logistics", ind, ",")
    split("DE,FR,US,GB,NL,ES,IT,SE", cty, ",")
    split("web,partner,outbound,event", ch, ",")
    print "external_id,name,industry,employee_count,annual_revenue,acquisition_channel,country"
    for (i = 1; i <= n; i++)
      printf "crm-%d,\"Company %d, Ltd.\",%s,%d,%d,%s,%s\n", i, i, ind[i % 6 + 1],
             (i * 7919) % 5000, (i * 104729) % 100000000, i % 5 ? ch[i % 4 + 1] : "",
             cty[i % 8 + 1]
  }' >"$2"
}

# Deals spread over the customers and the stages of new_business: open ones without
# closed_at, won and lost ones closed a year after created_at; a product on 3 in 4, one
# in 3 recurring (with mrr and a contract end).
gen_deals() { # N FILE
  awk -v n="$1" -v c="$customers" 'BEGIN {
    split("lead,qualified,proposal,negotiation,won,lost", st, ",")
    split("crm_basic,crm_pro,analytics,", pr, ",")
    print "external_id,customer_id,pipeline,stage,product,revenue_type,amount,mrr," \
          "expected_close_date,closed_at,contract_end_date,created_at"
    for (i = 1; i <= n; i++) {
      h = (i * 2654435761) % 4294967296
      s = st[int(h / 7) % 6 + 1]
      y = 2020 + int(h / 13) % 6; m = int(h / 17) % 12 + 1; d = int(h / 19) % 28 + 1
      rec = int(h / 37) % 3 == 0
      printf "deal-%d,%d,new_business,%s,%s,%s,%d,%s,%04d-%02d-%02d,%s,%s,%04d-%02d-%02dT%02d:%02d:%02dZ\n",
             i, h % c + 1, s, pr[int(h / 11) % 4 + 1], rec ? "recurring" : "one_time",
             (h % 500000) * 10, rec ? (h % 5000) * 10 : "", y + 1, m, d,
             s == "won" || s == "lost" ? sprintf("%04d-%02d-%02d", y + 1, m, d) : "",
             rec ? sprintf("%04d-%02d-%02d", y + 2, m, d) : "",
             y, m, d, int(h / 23) % 24, int(h / 29) % 60, int(h / 31) % 60
    }
  }' >"$2"
}

# MRR lines: (customer, product, month) unique, walking the customers month by month.
gen_mrr() { # N FILE
  awk -v n="$1" -v c="$customers" 'BEGIN {
    split("crm_basic,crm_pro,analytics", pr, ",")
    print "customer_id,product,month,mrr"
    for (i = 0; i < n; i++) {
      cust = i % c; k = int(i / c)
      printf "%d,%s,%04d-%02d,%d\n", cust + 1, pr[k % 3 + 1], 2020 + int(k / 36),
             int(k / 3) % 12 + 1, ((i * 7919) % 1000) * 100
    }
  }' >"$2"
}

# Signals: every type with the value it takes, unique event ids of one source.
gen_signals() { # N FILE
  awk -v n="$1" -v c="$customers" 'BEGIN {
    split("email_open,email_click,web_visit,meeting,call,support_ticket,usage,feature_interest,nps", ty, ",")
    print "customer_id,type,occurred_at,value,product,source,event_id"
    for (i = 1; i <= n; i++) {
      h = (i * 2654435761) % 4294967296; t = ty[h % 9 + 1]
      printf "%d,%s,%04d-%02d-%02dT%02d:%02d:%02dZ,%s,%s,bench,evt-%d\n", h % c + 1, t,
             2020 + int(h / 13) % 6, int(h / 17) % 12 + 1, int(h / 19) % 28 + 1,
             int(h / 23) % 24, int(h / 29) % 60, int(h / 31) % 60,
             t == "usage" ? sprintf("%.2f", (h % 150) / 100) : t == "nps" ? h % 11 : "",
             t == "feature_interest" ? "analytics" : "", i
    }
  }' >"$2"
}

# --- per kind: the file's columns and types (the plain table), the constrained table,
# --- what an import run leaves to be emptied before the next, and the stored rows -----
case $kind in
  customers)
    plain='external_id text, name text, industry text, employee_count integer,
      annual_revenue bigint, acquisition_channel text, country text'
    constrained="CREATE TABLE copy_constrained (LIKE customers INCLUDING ALL);
      ALTER TABLE copy_constrained ALTER created_at SET DEFAULT now(),
        ALTER updated_at SET DEFAULT now()"
    columns='external_id, name, industry, employee_count, annual_revenue,
      acquisition_channel, country'
    reset='TRUNCATE customers CASCADE'
    stored='SELECT count(*) FROM customers'
    ;;
  deals)
    plain='external_id text, customer_id bigint, pipeline text, stage text, product text,
      revenue_type text, amount bigint, mrr bigint, expected_close_date date,
      closed_at date, contract_end_date date, created_at timestamptz'
    constrained="CREATE TABLE copy_constrained (LIKE deals INCLUDING ALL);
      ALTER TABLE copy_constrained ALTER updated_at SET DEFAULT now(),
        ADD FOREIGN KEY (customer_id) REFERENCES customers (id),
        ADD FOREIGN KEY (product) REFERENCES products (key),
        ADD FOREIGN KEY (pipeline, stage) REFERENCES pipeline_stages (pipeline, key)"
    columns='external_id, customer_id, pipeline, stage, product, revenue_type, amount, mrr,
      expected_close_date, closed_at, contract_end_date, created_at'
    reset='TRUNCATE deals, deal_stage_history'
    stored='SELECT count(*) FROM deals'
    ;;
  mrr)
    plain='customer_id bigint, product text, month text, mrr bigint'
    # month stays text: the file has the API's YYYY-MM, which COPY cannot read as a date
    constrained="CREATE TABLE copy_constrained (customer_id bigint NOT NULL
        REFERENCES customers (id), product text NOT NULL REFERENCES products (key),
        month text NOT NULL, mrr bigint NOT NULL CHECK (mrr BETWEEN 0 AND 9007199254740991),
        PRIMARY KEY (customer_id, product, month));
      CREATE INDEX ON copy_constrained (month);
      CREATE INDEX ON copy_constrained (product)"
    columns='customer_id, product, month, mrr'
    reset='TRUNCATE mrr_lines'
    stored='SELECT count(*) FROM mrr_lines'
    ;;
  signals)
    plain='customer_id bigint, type text, occurred_at timestamptz, value double precision,
      product text, source text, event_id text'
    constrained="CREATE TABLE copy_constrained (LIKE signals INCLUDING ALL);
      ALTER TABLE copy_constrained ALTER created_at SET DEFAULT now(),
        ADD FOREIGN KEY (customer_id) REFERENCES customers (id),
        ADD FOREIGN KEY (product) REFERENCES products (key)"
    columns='customer_id, type, occurred_at, value, product, source, event_id'
    reset='TRUNCATE signals'
    stored='SELECT count(*) FROM signals'
    ;;
esac

"gen_$kind" "$rows" "$tmp/$kind.csv"
log "generated $rows $kind, $(du -m "$tmp/$kind.csv" | cut -f1) MiB"

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

ltvd_import() { # KIND FILE [ARG...]: ltvd import, its output in $tmp/import.out
  local k=$1 f=$2
  shift 2
  timeout 1800 "$LTVD_BIN" import "$k" "$f" --url "http://127.0.0.1:$ltvd_port" --key "$key" \
    "$@" >"$tmp/import.out" 2>"$tmp/import.err" \
    || { cat "$tmp/import.out" "$tmp/import.err" >&2; die "ltvd import $k failed"; }
}

# --- what deals, MRR lines and signals refer to (not timed) ---------------------------
if [ "$kind" != customers ]; then
  gen_customers "$customers" "$tmp/customers.csv"
  ltvd_import customers "$tmp/customers.csv"
  [ "$(sql 'SELECT min(id) || $$-$$ || max(id) || $$-$$ || count(*) FROM customers')" \
    = "1-$customers-$customers" ] || die "the customers do not have the ids 1..$customers"
  sql "INSERT INTO business_units (key, name, created_at, updated_at)
         VALUES ('bench', 'Bench', now(), now());
       INSERT INTO products (key, name, business_unit, family, tier, created_at, updated_at)
         VALUES ('crm_basic', 'CRM Basic', 'bench', 'crm', 1, now(), now()),
                ('crm_pro', 'CRM Pro', 'bench', 'crm', 2, now(), now()),
                ('analytics', 'Analytics', 'bench', 'analytics', 1, now(), now())" \
    || die "cannot create the products"
  log "imported $customers customers first"
fi
sql 'VACUUM ANALYZE' >/dev/null
ltvd_cpu_pid=$ltvd_pid

# timed LABEL COMMAND...: runs the command after a checkpoint; appends "label seconds
# pg-cpu client-cpu" to $tmp/results (client: psql, or ltvd serve and ltvd import).
timed() {
  local label=$1 t0 t1 pg0 pg1 cl0 cl1
  shift
  sql CHECKPOINT >/dev/null
  pg0=$(pg_ticks)
  cl0=$(ticks $$ "$ltvd_cpu_pid")
  t0=$(now)
  "$@"
  t1=$(now)
  cl1=$(ticks $$ "$ltvd_cpu_pid") # before pg_ticks, whose own processes would count
  pg1=$(pg_ticks)
  printf '%s\t%s\t%s\t%s\n' "$label" "$(elapsed "$t0" "$t1")" "$(seconds $((pg1 - pg0)))" \
    "$(seconds $((cl1 - cl0)))" >>"$tmp/results"
}

copy_into() { # TABLE
  timeout 1800 psql -X -q -v ON_ERROR_STOP=1 -d "$url" \
    -c "\\copy $1 ($columns) FROM '$tmp/$kind.csv' WITH (FORMAT csv, HEADER true)" \
    || die "psql \\copy into $1 failed"
}

# --- the baselines: \copy into a plain table, then into a constrained one ------------
sql "CREATE TABLE copy_plain ($plain)" || die "cannot create the plain table"
sql "$constrained" || die "cannot create the constrained table"
timed 'psql \copy, plain table' copy_into copy_plain
timed 'psql \copy, constrained table' copy_into copy_constrained

# --- ltvd import, once per --jobs value, each into an empty table ---------------------
first=1
for jobs in $jobs_list; do
  [ "$first" = 1 ] || sql "$reset" || die "cannot empty the table between runs"
  first=0
  timed "ltvd import --jobs $jobs" ltvd_import "$kind" "$tmp/$kind.csv" --jobs "$jobs"
  cat "$tmp/import.out" >&2
  have=$(sql "$stored")
  [ "$have" = "$rows" ] || die "ltvd import stored $have rows, expected $rows"
done

awk -F '\t' -v rows="$rows" -v target="$target_ratio" -v kind="$kind" '
  { label[NR] = $1; s[NR] = $2; pg[NR] = $3; cl[NR] = $4 }
  END {
    printf "%d %s\n", rows, kind
    printf "%-32s %8s %10s %8s %10s\n", "", "seconds", "rows/s", "pg-cpu", "client-cpu"
    for (i = 1; i <= NR; i++)
      printf "%-32s %8.2f %10.0f %8.2f %10.2f\n", label[i], s[i], rows / s[i], pg[i], cl[i]
    for (i = 3; i <= NR; i++) {
      ratio = s[i] / s[1]
      printf "%s: ratio to the plain copy (time) = %.2f (target <= %s): %s; " \
             "to the constrained copy = %.2f; CPU ratio to the constrained copy = %.2f\n",
             label[i], ratio, target, (ratio <= target ? "PASS" : "ABOVE TARGET"),
             s[i] / s[2], (pg[i] + cl[i]) / (pg[2] + cl[2])
    }
  }' "$tmp/results"
