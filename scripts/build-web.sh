#!/usr/bin/env bash
# Builds the browser code (web/: the chat widget and the agent console) into web/dist, which
# the caredesk binary serves. npm packages come from web/package-lock.json, installed once and
# reused until the lock file changes. Needs node and npm (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! cmp -s package-lock.json node_modules/.caredesk-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.caredesk-installed-lock
fi
rm -rf dist/assets dist/index.html  # hashed names: drop the last build's files
npm run --silent build >/dev/null
echo "build-web: widget.js $(gzip -c dist/widget.js | wc -c) bytes gzipped," \
  "console $(cat dist/assets/*.js | gzip -c | wc -c) bytes of script gzipped"
