#!/usr/bin/env bash
# Builds the relay, the stand-in and harness.c with mingw-w64 and runs the harness under Wine: the Win64
# calling convention, UTF-16 strings and the DLL's callback thread, on Linux. Exit 0 and an "ok" line, or
# the harness's "FAIL: …". Exit 77 when mingw-w64 or Wine is missing (the test reports it as skipped).
#   RELAY_DLL=path   run against that relay DLL (default: a fresh build of relay.c)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${MINGW_CC:-x86_64-w64-mingw32-gcc}"
# Debian: `wine` puts the wrapper on PATH; `wine64` alone leaves only /usr/lib/wine/wine64.
wine="$(command -v wine64 || command -v wine || { [[ -x /usr/lib/wine/wine64 ]] && echo /usr/lib/wine/wine64; } || true)"
command -v "$cc" >/dev/null || { echo "run-wine: $cc not found (apt-get install gcc-mingw-w64-x86-64)"; exit 77; }
[[ -n "$wine" ]] || { echo "run-wine: wine not found (apt-get install wine64)"; exit 77; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -n "${RELAY_DLL:-}" ]]; then cp "$RELAY_DLL" "$work/blackbox-relay.dll"; else bash "$here/../build-win.sh" "$work/blackbox-relay.dll" >/dev/null; fi
"$cc" -std=c11 -O2 -Wall -Wextra -shared -o "$work/profitdll.dll" "$here/../../profitdll-standin/standin.c" -static -lpthread -lm
"$cc" -std=c11 -O2 -Wall -Wextra -Wno-cast-function-type -o "$work/harness.exe" "$here/harness.c" -static
# A prefix of its own: nothing of the user's Wine setup is read or changed. WINEDEBUG=-all: no noise.
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cd "$work"
timeout "${WINE_TIMEOUT_S:-120}" "$wine" harness.exe 'Z:'"${work//\//\\}"'\blackbox-relay.dll' 'Z:'"${work//\//\\}"'\profitdll.dll' 2>&1 | tr -d '\r'
exit "${PIPESTATUS[0]}"
