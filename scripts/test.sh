#!/usr/bin/env bash
# README's second command: installs what is missing, builds build/ and build-san/
# (AddressSanitizer + UndefinedBehaviorSanitizer), starts a throwaway PostgreSQL cluster,
# runs every meson test suite in both builds against it and ends with the line
# "N passed, N failed[, N skipped]". Exits non-zero when anything failed.
#   scripts/test.sh --quick    only the normal build
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg.sh
. scripts/pg.sh

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac

passed=0 failed=0 skipped=0

# build_dir DIR [MESON OPTION...]: configures DIR (again, so that test folders added since
# are seen) and builds it; a failure counts as one.
build_dir() {
  local dir=$1 again=() out
  shift
  [ ! -f "$dir/build.ninja" ] || again=(--reconfigure)
  if ! out=$(meson setup "${again[@]}" "$dir" "$@" 2>&1); then
    printf '%s\n' "$out" >&2
  elif ninja -C "$dir"; then
    return 0
  fi
  echo "test.sh: building $dir failed" >&2
  failed=$((failed + 1))
  return 1
}

# run_tests DIR [MESON TEST OPTION...]: runs meson test and adds up its summary.
run_tests() {
  local dir=$1 log=$cluster/meson-test.log rc=0 ok fail skip
  shift
  # tee ignores Ctrl-C so that meson can report the interrupted tests and exit.
  meson test -C "$dir" --print-errorlogs "$@" 2>&1 | (trap '' INT TERM; tee "$log") || rc=$?
  ok=$(awk '/^(Ok|Expected Fail): /{n += $NF} END {print n + 0}' "$log")
  fail=$(awk '/^(Fail|Unexpected Pass|Timeout): /{n += $NF} END {print n + 0}' "$log")
  skip=$(awk '/^Skipped: /{n += $NF} END {print n + 0}' "$log")
  # meson failing without a failed test (e.g. a build error) still counts as a failure.
  [ "$rc" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
  passed=$((passed + ok)) failed=$((failed + fail)) skipped=$((skipped + skip))
}

# Whether LeakSanitizer can stop the world here (it cannot under some ptrace limits).
lsan_works() {
  local t out
  t=$(mktemp -d)
  printf '#include <stdlib.h>\nint main(void) { return malloc(7) == 0; }\n' >"$t/leak.c"
  gcc -fsanitize=address -o "$t/leak" "$t/leak.c" 2>/dev/null || { rm -rf "$t"; return 1; }
  out=$(ASAN_OPTIONS=detect_leaks=1 "$t/leak" 2>&1 || true)
  rm -rf "$t"
  [[ $out == *"detected memory leaks"* ]]
}

bash scripts/deps.sh

cluster=$(mktemp -d)
trap 'pg_destroy "$cluster"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_init "$cluster"
for try in 1 2 3 4 5 6 7 8 9 10; do
  port=$(pg_free_port $((20000 + RANDOM % 12000)))
  pg_start "$cluster" "$port" -c fsync=off -c synchronous_commit=off \
    -c max_connections=300 2>"$cluster/start.err" && break
  [ "$try" -lt 10 ] || { cat "$cluster/start.err" >&2; exit 1; }
done
LTVD_TEST_DATABASE_URL=$(pg_conninfo "$cluster" "$port")
export LTVD_TEST_DATABASE_URL

if build_dir build; then
  run_tests build
fi

if [ "$quick" -eq 0 ] && build_dir build-san -Db_sanitize=address,undefined -Db_lundef=false; then
  leaks=1
  lsan_works || leaks=0
  ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=0:halt_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_tests build-san
  if [ "$leaks" -eq 0 ]; then
    echo "test.sh: LeakSanitizer cannot run here; checking the API suite for leaks with valgrind" >&2
    run_tests build --setup valgrind --suite api
  fi
fi

summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary+=", $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
