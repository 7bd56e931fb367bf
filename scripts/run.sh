#!/usr/bin/env bash
# README's first command: installs what is missing, builds ltvd, starts its private
# PostgreSQL cluster in .ltvd/ (skipped when LTVD_DATABASE_URL is set), migrates, loads
# the demo data, creates an admin key once (.ltvd/admin.key), prints curl examples and
# serves on LTVD_LISTEN (default 127.0.0.1:8080) until Ctrl-C. The cluster keeps
# running afterwards; `scripts/run.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg.sh
. scripts/pg.sh
state=.ltvd

case "${1:-}" in
  stop) pg_stop "$state"; exit ;;
  "") ;;
  *) echo "usage: scripts/run.sh [stop]" >&2; exit 2 ;;
esac

export LTVD_LISTEN=${LTVD_LISTEN:-127.0.0.1:8080}
host=${LTVD_LISTEN%:*}
case $host in "" | 0.0.0.0 | "*") host=127.0.0.1 ;; "[::]") host="[::1]" ;; esac
url=http://$host:${LTVD_LISTEN##*:}
if (: <>"/dev/tcp/${host//[][]/}/${LTVD_LISTEN##*:}") 2>/dev/null; then
  echo "run.sh: something already listens on $LTVD_LISTEN; set LTVD_LISTEN=127.0.0.1:PORT" >&2
  exit 1
fi

# Runs a command, showing its output only when it fails.
quiet() {
  local out
  out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

bash scripts/deps.sh
[ -f build/build.ninja ] || quiet meson setup build
quiet ninja -C build

if [ -z "${LTVD_DATABASE_URL:-}" ]; then
  pg_init "$state"
  if ! pg_running "$state"; then
    pg_start "$state" "$(pg_free_port "$(cat "$state/port" 2>/dev/null || echo 54329)")"
  fi
  port=$(pg_port "$state")
  echo "$port" >"$state/port"
  psql=("$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 "$(pg_conninfo "$state" "$port")")
  if [ -z "$("${psql[@]}" -Atc "SELECT 1 FROM pg_database WHERE datname = 'ltvd'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE ltvd"
    rm -f "$state/admin.key"  # a key of an earlier database
  fi
  LTVD_DATABASE_URL=$(pg_conninfo "$state" "$port" ltvd)
  keyfile=$state/admin.key
  stop_hint="; scripts/run.sh stop stops its database"
else
  # A key belongs to one database: keep one file per URL.
  mkdir -p "$state"
  keyfile=$state/admin-$(printf '%s' "$LTVD_DATABASE_URL" | sha256sum | cut -c1-12).key
fi
export LTVD_DATABASE_URL

build/ltvd migrate
build/ltvd demo
if [ ! -s "$keyfile" ]; then
  (umask 077 && build/ltvd key create --scope admin --name demo-admin >"$keyfile.new")
  mv "$keyfile.new" "$keyfile"
fi
key=$(cat "$keyfile")

cat <<EOF

ltvd serves on $url (Ctrl-C stops it${stop_hint:-}).
Admin key (also in $keyfile): $key

  curl -s $url/healthz
  curl -s -H 'Authorization: Bearer $key' '$url/v1/customers?limit=3'
  curl -s -H 'Authorization: Bearer $key' -H 'Content-Type: application/json' \\
       -d '{"name":"Example Ltd","industry":"software","employee_count":42,"country":"DE"}' \\
       $url/v1/customers
  curl -s -H 'Authorization: Bearer $key' $url/v1/customers/1

EOF
exec build/ltvd serve
