#!/usr/bin/env bash
# Installs what is missing, builds, creates the demo practice on the embedded SQLite store
# (./demo-data) and serves it at http://127.0.0.1:8080, printing how to sign in.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/src/app/caredesk demo --data "${CAREDESK_DATA:-demo-data}" --listen "${CAREDESK_LISTEN:-127.0.0.1:8080}"
