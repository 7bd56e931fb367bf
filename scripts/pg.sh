# shellcheck shell=bash
# Sourced library: a private PostgreSQL cluster run from the machine's server binaries.
#   pg_init DIR                      create a cluster (no-op when DIR already has one)
#   pg_start DIR PORT [OPTION...]    start it on 127.0.0.1:PORT (no-op when running);
#                                    OPTIONs: -c name=value ... (the -c may be left out)
#   pg_stop DIR                      stop it: pg_ctl stop -m fast (no-op when stopped)
#   pg_destroy DIR                   stop it and delete it, DIR included
#   pg_conninfo DIR PORT [DBNAME]    libpq conninfo: superuser postgres, dbname postgres
#   pg_running DIR                   true when its server runs
#   pg_port DIR                      print the port its running server listens on
#   pg_free_port [FIRST]             print the first port from FIRST up nobody listens on
#   pg_bindir                        print the newest /usr/lib/postgresql/*/bin
# initdb and postgres refuse to run as root, so as root they run as the postgres user.
# The cluster lives in DIR; when the postgres user cannot reach DIR (e.g. under /root) or
# its path has characters pg_ctl cannot quote, it lives in /var/tmp/ltvd-<uid>-<hash>
# and the file DIR/home names it. The Unix socket goes where the file <home>/sockdir
# says: the home itself, or /tmp/ltvd-<uid>-<hash> when the home's path is too long.

pg_bindir() {
  local initdb
  initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  if [ ! -x "$initdb" ]; then
    echo "pg.sh: no PostgreSQL server under /usr/lib/postgresql (run scripts/deps.sh)" >&2
    return 1
  fi
  dirname "$initdb"
}

# Runs a command as the server's owner: postgres when we are root, else ourselves.
_pg_as() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Makes $1 a folder the server's owner alone can use.
_pg_prepare() {
  if [ "$(id -u)" -eq 0 ]; then
    install -d -o postgres -g postgres -m 700 "$1" && _pg_as test -w "$1/." -a -x "$1/."
  else
    install -d -m 700 "$1" && [ -w "$1/." ]
  fi
}

_pg_home() {
  if [ -f "$1/home" ]; then cat "$1/home"; else (cd "$1" && pwd -P); fi
}

pg_init() {
  local dir=$1 abs home tag sock bin
  bin=$(pg_bindir) || return 1
  mkdir -p "$dir" && abs=$(cd "$dir" && pwd -P) || return 1
  home=$(_pg_home "$abs") || return 1
  [ -f "$home/data/PG_VERSION" ] && return 0

  tag="$(id -u)-$(printf '%s' "$abs" | sha256sum | cut -c1-12)"
  home=$abs
  if [[ $abs =~ [^A-Za-z0-9/._-] ]] || ! _pg_prepare "$abs" 2>/dev/null; then
    home=/var/tmp/ltvd-$tag
    if ! _pg_prepare "$home"; then
      echo "pg.sh: neither $abs nor $home is usable for the cluster" >&2
      return 1
    fi
    echo "$home" >"$abs/home"
    [ -f "$home/data/PG_VERSION" ] && return 0
  fi
  sock=$home
  [ "${#home}" -le 80 ] || sock=/tmp/ltvd-$tag
  echo "$sock" >"$home/sockdir"

  if ! _pg_as "$bin/initdb" -D "$home/data" --auth=trust --username=postgres \
      --encoding=UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed:" >&2
    cat "$home/initdb.log" >&2
    return 1
  fi
}

# The postmaster of DIR: the PID in its postmaster.pid, if that process works in DIR's data.
_pg_pid() {
  local home pid
  [ -d "$1" ] && home=$(_pg_home "$1") || return 1
  pid=$(head -n 1 "$home/data/postmaster.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$home/data" && pwd -P)" ] &&
    echo "$pid"
}

pg_running() {
  _pg_pid "$1" >/dev/null
}

pg_port() {
  local home
  home=$(_pg_home "$1") && sed -n 4p "$home/data/postmaster.pid"
}

pg_start() {
  local dir=$1 port=$2 home sock bin opts="" o
  shift 2
  bin=$(pg_bindir) || return 1
  home=$(_pg_home "$dir") || return 1
  if [ ! -f "$home/data/PG_VERSION" ]; then
    echo "pg.sh: no cluster in $dir (pg_init it first)" >&2
    return 1
  fi
  pg_running "$dir" && return 0
  sock=$(cat "$home/sockdir")
  _pg_prepare "$sock" || return 1
  for o in "$@"; do
    case $o in -c) ;; "-c "*) opts+=" $o" ;; *) opts+=" -c $o" ;; esac
  done
  if ! _pg_as "$bin/pg_ctl" -D "$home/data" -l "$home/pg.log" -w -t 60 -s \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $sock$opts" start >/dev/null 2>&1; then
    echo "pg.sh: PostgreSQL did not start on port $port; end of $home/pg.log:" >&2
    tail -n 15 "$home/pg.log" >&2
    return 1
  fi
}

pg_stop() {
  local home bin pid
  pid=$(_pg_pid "$1") || return 0
  home=$(_pg_home "$1")
  bin=$(pg_bindir) || return 1
  _pg_as "$bin/pg_ctl" -D "$home/data" -m fast -w -t 60 -s stop >/dev/null 2>&1 && return 0
  # pg_ctl gave up: an immediate shutdown of the postmaster by its PID.
  kill -QUIT "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  echo "pg.sh: PostgreSQL (pid $pid) of $1 does not stop" >&2
  return 1
}

pg_destroy() {
  local dir=$1 home sock rc=0
  [ -d "$dir" ] || return 0
  pg_stop "$dir" || rc=1
  home=$(_pg_home "$dir")
  sock=$(cat "$home/sockdir" 2>/dev/null || true)
  [ -z "$sock" ] || [ "$sock" = "$home" ] || rm -rf "$sock"
  [ "$home" = "$(cd "$dir" && pwd -P)" ] || rm -rf "$home"
  rm -rf "$dir"
  return "$rc"
}

pg_conninfo() {
  local home
  home=$(_pg_home "$1") || return 1
  echo "host=$(cat "$home/sockdir") port=$2 user=postgres dbname=${3:-postgres}"
}

pg_free_port() {
  local p=${1:-54329}
  while [ "$p" -lt 65536 ]; do
    if ! (: <>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
    p=$((p + 1))
  done
  echo "pg.sh: no free port from ${1:-54329} up" >&2
  return 1
}
