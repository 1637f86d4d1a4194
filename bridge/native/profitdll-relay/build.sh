#!/usr/bin/env bash
# Builds the callback relay for Linux (build/librelay.so), which the tests load against the stand-in.
# Idempotent and safe from several test workers at once, like the stand-in's build.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build/librelay.so"

stale=0
[[ -f "$out" ]] || stale=1
for src in "$here/relay.c" "$here/relay.h" "$here/../profitdll-standin/profitdll.h" "$here/build.sh"; do
  [[ "$src" -nt "$out" ]] && stale=1
done
[[ "$stale" == 1 ]] || exit 0

mkdir -p "$here/build"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -shared -fPIC -pthread -fvisibility=hidden \
  -o "$tmp" "$here/relay.c" -ldl -lm
mv -f "$tmp" "$out"
echo "profitdll relay: built $out"
