#!/usr/bin/env bash
# Builds the ProfitDLL stand-in with the system C compiler (no network, no node-gyp).
# Idempotent: compiles only when a source is newer than build/libprofitdll.so. Safe to run from
# several test workers at once: the library is written under a temporary name and renamed into place.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build/libprofitdll.so"

stale=0
[[ -f "$out" ]] || stale=1
for src in "$here/standin.c" "$here/profitdll.h" "$here/build.sh"; do
  [[ "$src" -nt "$out" ]] && stale=1
done
[[ "$stale" == 1 ]] || exit 0

mkdir -p "$here/build"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -shared -fPIC -pthread -fvisibility=hidden \
  -o "$tmp" "$here/standin.c" -lm
mv -f "$tmp" "$out"
echo "profitdll stand-in: built $out"
