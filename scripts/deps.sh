#!/usr/bin/env bash
# Installs the Debian packages ltvd needs to build, test and run. Quiet when nothing is
# missing; as root or with password-less sudo it runs apt-get, else it prints the command.
set -euo pipefail

pkgs=(libmicrohttpd-dev libjansson-dev libpq-dev check meson ninja-build pkg-config gcc
      postgresql libcurl4-openssl-dev libssl-dev python3 python3-yaml python3-scipy wrk valgrind)

installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${pkgs[@]}" 2>/dev/null |
  awk '$1 ~ /^.i/ {print $2}' || true)
missing=()
for p in "${pkgs[@]}"; do
  grep -qx -- "$p" <<<"$installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "deps.sh: missing packages; install them with:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
