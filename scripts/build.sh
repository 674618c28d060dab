#!/usr/bin/env bash
# Configures and builds one build directory, reusing it when it exists. ccache keeps rebuilds
# short; the release build also builds the browser code (scripts/build-web.sh).
# Usage: scripts/build.sh [release|asan]   (default release)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths relative to the checkout, so a fresh clone in another directory (as CI makes) hits the
# cache the last one filled, debug builds included.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
command -v ccache >/dev/null && ccache --max-size=5G >/dev/null
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
case "$flavour" in
  release) dir=build;      opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    dir=build-asan; opts=(-DCMAKE_BUILD_TYPE=Debug -DCAREDESK_SANITIZE=ON -DCMAKE_CXX_FLAGS=-O1) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 2 ;;
esac
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCAREDESK_WERROR="$werror" "${opts[@]}"
else
  cmake "$dir" -DCAREDESK_WERROR="$werror" >/dev/null
fi
ninja -C "$dir"
# The browser code the server hands out (the chat widget); the ASan build serves nothing new.
[ "$flavour" = release ] && scripts/build-web.sh
true
