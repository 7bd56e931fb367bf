#!/usr/bin/env bash
# Database loss and recovery, for real: ltvd runs on its own throwaway cluster, the
# cluster is stopped under it (requests get a 503 problem, /healthz stays 200, the
# process stays up), then started again on the same port (requests succeed again without
# restarting ltvd, and a write acknowledged before the outage is still there).
set -euo pipefail
root=${LTVD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=scripts/pg.sh
. "$root/scripts/pg.sh"

dir=$(mktemp -d)
ltvd_pid=
cleanup() {
  [ -z "$ltvd_pid" ] || kill -TERM "$ltvd_pid" 2>/dev/null || true
  pg_destroy "$dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "outage: FAIL: $*" >&2; exit 1; }

trap 'echo "outage: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
pg_init "$dir" >/dev/null
# a port found free may be taken before the cluster binds it (other test runs): retry
for try in 1 2 3 4 5; do
  port=$(pg_free_port $((33000 + RANDOM % 8000)))
  pg_start "$dir" "$port" -c fsync=off >/dev/null 2>&1 && break
  [ "$try" -lt 5 ] || fail "PostgreSQL did not start"
done
"$(pg_bindir)/psql" -X -q "$(pg_conninfo "$dir" "$port")" -c "CREATE DATABASE ltvd" >/dev/null
export LTVD_DATABASE_URL
LTVD_DATABASE_URL=$(pg_conninfo "$dir" "$port" ltvd)
"$LTVD_BIN" migrate >/dev/null
key=$("$LTVD_BIN" key create --scope write --name outage)
http=$(pg_free_port $((40000 + RANDOM % 9000)))
LTVD_LOG_LEVEL=warn "$LTVD_BIN" serve --listen "127.0.0.1:$http" 2>"$dir/ltvd.log" &
ltvd_pid=$!
url=http://127.0.0.1:$http
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null || fail "ltvd did not start: $(cat "$dir/ltvd.log")"

# status of an authenticated request, with the body left in $dir/body
call() { curl -s -o "$dir/body" -w '%{http_code}' -H "Authorization: Bearer $key" "$@"; }

[ "$(call -d '{"name":"Before the outage"}' "$url/v1/customers")" = 201 ] ||
  fail "create before the outage: $(cat "$dir/body")"

pg_stop "$dir" >/dev/null
for i in 1 2 3; do
  status=$(call "$url/v1/customers/1")
  [ "$status" = 503 ] || fail "during the outage, request $i answered $status, not 503"
  grep -q '"type":"urn:ltvd:problem:unavailable"' "$dir/body" || fail "no problem body: $(cat "$dir/body")"
  grep -qiE 'select|postgres|\.c:|/' "$dir/body" && fail "the 503 leaks details: $(cat "$dir/body")"
done
[ "$(call -d '{"name":"During the outage"}' "$url/v1/customers")" = 503 ] || fail "write during the outage"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "healthz during the outage"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 503 ] || fail "readyz during the outage"
kill -0 "$ltvd_pid" || fail "ltvd died during the outage"

pg_start "$dir" "$port" -c fsync=off >/dev/null
start=$(date +%s%N)
recovered=
for _ in $(seq 100); do
  if [ "$(call "$url/v1/customers/1")" = 200 ]; then recovered=1; break; fi
  sleep 0.1
done
[ -n "$recovered" ] || fail "no recovery within 10 s after the database came back"
ms=$((($(date +%s%N) - start) / 1000000))
grep -q 'Before the outage' "$dir/body" || fail "the acknowledged write is gone"
# every pool thread reconnects on its own next request (attempts spaced by 250 ms), so a
# write may still meet a 503 for a moment; like any client it retries
written=
for _ in $(seq 50); do
  status=$(call -d '{"name":"After the outage"}' "$url/v1/customers")
  if [ "$status" = 201 ]; then written=1; break; fi
  [ "$status" = 503 ] || fail "write after recovery answered $status"
  sleep 0.1
done
[ -n "$written" ] || fail "no write within 5 s after recovery"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] || fail "readyz after recovery"
count=$("$(pg_bindir)/psql" -X -Atq "$LTVD_DATABASE_URL" -c "SELECT count(*) FROM customers")
[ "$count" = 2 ] || fail "expected 2 customers (nothing from the outage), found $count"

kill -TERM "$ltvd_pid"
wait "$ltvd_pid" || fail "ltvd exited with $? after SIGTERM"
ltvd_pid=
echo "outage: 503 during the outage, recovered ${ms} ms after the database came back"
