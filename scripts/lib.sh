# Shared by the test scripts that start a throw-away caredesk server; sourced, not run.

# server_port OUT LOG WHO: the port a `caredesk serve --listen 127.0.0.1:0` announced in its
# standard output OUT ("listening on http://127.0.0.1:PORT"), waiting up to 10 s. Otherwise
# says WHO could not start it, shows LOG (its standard error) and fails.
server_port() {
  local out=$1 log=$2 who=$3 port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*$/\1/p' "$out" 2>/dev/null)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    sleep 0.1
  done
  echo "$who: the server did not start" >&2
  if [ -n "$log" ] && [ -f "$log" ]; then cat "$log" >&2; fi
  return 1
}
