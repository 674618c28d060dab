#!/usr/bin/env bash
# The chat widget and the agent console in a real browser: a throw-away server (loopback only,
# fresh data directory, practice "web" open around the clock with an agent, a supervisor and
# an admin), a practice's page with hostile CSS served from another origin, and Debian's
# chromium driven by playwright-core (web/tests/browser.mjs for the widget, console.mjs for
# the console). Screenshots go to build/browser-shots/.
#   scripts/browser-test.sh     (needs build/src/app/caredesk, web/dist, node, chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=build/src/app/caredesk
[ -x "$BIN" ] || { echo "browser-test: build first (scripts/build.sh release)" >&2; exit 2; }
[ -f web/dist/widget.js ] || { echo "browser-test: web/dist is not built (scripts/build.sh)" >&2; exit 2; }
[ -x /usr/bin/chromium ] || { echo "browser-test: chromium is not installed (scripts/install-deps.sh)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/caredesk-browser.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done
  rm -rf "$WORK"
}
trap cleanup EXIT
data=$WORK/data
"$BIN" tenant create --slug web --name "Lakeside Family Medicine" --business-hours always \
  --data "$data" >/dev/null 2>&1
echo "a long enough password" | "$BIN" user create --tenant web --email ana@web.example \
  --role agent --name "Ana Ruiz" --data "$data" >/dev/null 2>&1
for who in "sam@web.example supervisor Sam Okafor" "ida@web.example admin Ida Berg"; do
  set -- $who
  echo "a long enough password" | "$BIN" user create --tenant web --email "$1" --role "$2" \
    --name "$3 $4" --data "$data" >/dev/null 2>&1
done
# The practice's mail account (nothing listens on port 9: mail stays queued, as the test wants).
"$BIN" channel add-email --tenant web --address desk@web.example --smtp smtp://127.0.0.1:9 \
  --data "$data" >/dev/null 2>&1
token=$("$BIN" token create --tenant web --user ana@web.example --data "$data" 2>/dev/null)
lead_token=$("$BIN" token create --tenant web --user sam@web.example --data "$data" 2>/dev/null)
admin_token=$("$BIN" token create --tenant web --user ida@web.example --data "$data" 2>/dev/null)
# The address the SMS provider signs its webhooks for (as behind a practice's proxy).
public_url=https://desk.web.example

"$BIN" serve --data "$data" --listen 127.0.0.1:0 --web-root web/dist --public-url "$public_url" >"$WORK/server.out" 2>"$WORK/server.log" &
PIDS+=($!)
port=$(server_port "$WORK/server.out" "$WORK/server.log" browser-test)
url="http://127.0.0.1:$port"

# The practice's own website: another origin (localhost, another port), plain node. A page
# asked for with ?location=N is that location's page: its script tag says data-location="N".
sed "s#__CAREDESK_URL__#$url#" web/tests/host.html >"$WORK/host.html"
node -e '
  const http = require("http"), fs = require("fs");
  const page = fs.readFileSync(process.argv[1], "utf8");
  const server = http.createServer((req, res) => {
    const place = new URL(req.url, "http://host").searchParams.get("location");
    const html = /^[0-9]+$/.test(place ?? "")
      ? page.replace("data-tenant=\"web\"", `data-tenant="web" data-location="${place}"`)
      : page;
    res.writeHead(200, {"Content-Type": "text/html; charset=utf-8"}); res.end(html);
  }).listen(0, "127.0.0.1", () => console.log(server.address().port));
' "$WORK/host.html" >"$WORK/host.out" &
PIDS+=($!)
host_port=""
for _ in $(seq 50); do
  host_port=$(head -1 "$WORK/host.out" 2>/dev/null || true)
  [ -n "$host_port" ] && break
  sleep 0.1
done
[ -n "$host_port" ] || { echo "browser-test: the host page did not start" >&2; exit 1; }

mkdir -p build/browser-shots
cd web
export CAREDESK_URL="$url" HOST_URL="http://localhost:$host_port/" STAFF_TOKEN="$token" \
  LEAD_TOKEN="$lead_token" ADMIN_TOKEN="$admin_token" PASSWORD="a long enough password" PUBLIC_URL="$public_url" \
  SHOTS="$PWD/../build/browser-shots"
node tests/browser.mjs
node tests/console.mjs
cd ..
# What the server logged while patients and staff used it: no patient information in it.
cp "$WORK/server.log" build/browser-shots/server.log
scripts/phi-scan.sh build/browser-shots/server.log
