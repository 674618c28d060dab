#!/usr/bin/env bash
# Checks CareDesk's Twilio webhooks against the official twilio npm package's own signature
# code: a throw-away server (loopback only, fresh data directory, the practice's SMS account
# added with `caredesk channel add-sms`) receives texts and a delivery report signed by
# twilio.getExpectedTwilioSignature, must accept them and store each text once, and must
# refuse the same requests with one byte of the body or of the signature changed.
#   scripts/twilio-sdk-test.sh     (needs build/src/app/caredesk, node and npm)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=build/src/app/caredesk
[ -x "$BIN" ] || { echo "twilio-sdk-test: build first (scripts/build.sh release)" >&2; exit 2; }
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "twilio-sdk-test: node and npm are not installed (scripts/install-deps.sh)" >&2; exit 2; }

# The package, installed once from the lock file into the build directory and reused.
sdk=build/twilio-sdk
if ! cmp -s tests/twilio-sdk/package-lock.json "$sdk/package-lock.json" ||
   [ ! -d "$sdk/node_modules/twilio" ]; then
  rm -rf "$sdk"
  mkdir -p "$sdk"
  cp tests/twilio-sdk/package.json tests/twilio-sdk/package-lock.json "$sdk/"
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp tests/twilio-sdk/signed-webhooks.js "$sdk/"

WORK=$(mktemp -d /tmp/caredesk-twilio-sdk.XXXXXX)
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
data=$WORK/data
auth_token="auth-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$auth_token" >"$WORK/auth-token"
"$BIN" tenant create --slug sdk --name "SDK Clinic" --data "$data" >/dev/null 2>&1
echo "a long enough password" | "$BIN" user create --tenant sdk --email admin@sdk.example \
  --role admin --data "$data" >/dev/null 2>&1
api_token=$("$BIN" token create --tenant sdk --user admin@sdk.example --data "$data" 2>/dev/null)
"$BIN" channel add-sms --tenant sdk --number +13125550100 \
  --account-sid AC00000000000000000000000000000001 --auth-token-file "$WORK/auth-token" \
  --api-base http://127.0.0.1:9 --data "$data" >/dev/null
public_url=https://desk.example-clinic.org
"$BIN" serve --data "$data" --listen 127.0.0.1:0 --public-url "$public_url" \
  >"$WORK/server.out" 2>"$WORK/server.err" &
PID=$!
port=$(server_port "$WORK/server.out" "$WORK/server.err" twilio-sdk-test)

BASE=http://127.0.0.1:$port PUBLIC_URL=$public_url SLUG=sdk AUTH_TOKEN=$auth_token \
  API_TOKEN=$api_token node "$sdk/signed-webhooks.js"
