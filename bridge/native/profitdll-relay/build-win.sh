#!/usr/bin/env bash
# Builds the relay for 64-bit Windows with mingw-w64: win64/blackbox-relay.dll, the file `--broker profitdll`
# loads on Windows (committed, so a Windows user needs no compiler).
#
# Reproducible: fixed flags, sources compiled by relative path from this folder (no absolute path is
# embedded), symbols stripped, and no link timestamp (-Wl,--no-insert-timestamp), so two builds of the same
# source are byte-identical with the same compiler (Debian 12's gcc-mingw-w64-x86-64, GCC 12.2, which .ci/run
# installs); test/profitdll/relay-win.test.ts rebuilds it and compares.
#   bash build-win.sh            write win64/blackbox-relay.dll
#   bash build-win.sh OUT.dll    write OUT.dll instead (the test's rebuild)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/win64/blackbox-relay.dll}"
cc="${MINGW_CC:-x86_64-w64-mingw32-gcc}"
command -v "$cc" >/dev/null || { echo "build-win: $cc not found (Debian: apt-get install gcc-mingw-w64-x86-64)" >&2; exit 3; }

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$here"
"$cc" -std=c11 -O2 -Wall -Wextra -shared -static-libgcc -s \
  -ffile-prefix-map="$here"=. -fno-ident \
  -Wl,--no-insert-timestamp -Wl,--disable-auto-image-base \
  -o "$tmp/blackbox-relay.dll" relay.c
# (--disable-auto-image-base: the default derives the image base from the output path.)
cp "$tmp/blackbox-relay.dll" "$out"
echo "profitdll relay: built $out"
