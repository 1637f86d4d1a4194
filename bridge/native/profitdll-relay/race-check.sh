#!/usr/bin/env bash
# The relay's own threads under a sanitizer: relay.c and the stand-in built as shared libraries with
# -fsanitize=$1 (thread, or address,undefined), driven by wine/harness.c built for Linux. Prints the
# harness's "ok" line; a sanitizer report goes to stderr and fails the run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
san="${1:-thread}"
cc="${CC:-cc}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(-std=c11 -g -O1 "-fsanitize=$san" -fno-sanitize-recover=undefined -pthread)
"$cc" "${flags[@]}" -shared -fPIC -o "$work/librelay.so" "$here/relay.c" -ldl -lm
"$cc" "${flags[@]}" -shared -fPIC -o "$work/libprofitdll.so" "$here/../profitdll-standin/standin.c" -lm
"$cc" "${flags[@]}" -o "$work/harness" "$here/wine/harness.c" -ldl
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 exitcode=66}"
"$work/harness" "$work/librelay.so" "$work/libprofitdll.so"
