#!/usr/bin/env bash
# Mail against real peers, all from Debian packages, on loopback only, in a throw-away
# directory, stopped afterwards:
#   1. swaks sends a patient's mail to Postfix, which hands it over LMTP to CareDesk
#      (`caredesk serve --lmtp`); a conversation appears in the inbox.
#   2. An agent's reply is submitted by CareDesk over SMTP to that Postfix, which delivers it
#      over LMTP to Dovecot; in the patient's mailbox its headers thread it under the
#      patient's mail (Subject "Re:", In-Reply-To and References naming the patient's
#      Message-ID).
#   3. The patient's answer to the reply comes back through Postfix and lands in the same
#      conversation; an out-of-office answer opens nothing.
#   4. A second practice whose mail is hosted (here in Dovecot) has its mailbox polled over
#      IMAP: mail delivered there becomes a conversation once, and is flagged as taken.
#   scripts/mail-peers-test.sh     (needs build/src/app/caredesk; postfix, dovecot and swaks
#                                   come from scripts/install-deps.sh; runs as root)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=$(pwd)/build/src/app/caredesk
[ -x "$BIN" ] || { echo "mail-peers-test: build first (scripts/build.sh release)" >&2; exit 2; }
for tool in postfix dovecot swaks curl jq; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "mail-peers-test: $tool is not installed (scripts/install-deps.sh)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "mail-peers-test: Postfix and Dovecot need root" >&2; exit 2; }
export PATH=$PATH:/usr/sbin

W=$(mktemp -d /tmp/caredesk-mail.XXXXXX)
chmod 755 "$W"
PID=""
cleanup() {
  local rc=$?
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  postfix -c "$W/postfix" stop >/dev/null 2>&1 || true
  [ -f "$W/dovecot.conf" ] && dovecot -c "$W/dovecot.conf" stop >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ]; then
    echo "mail-peers-test: failed; the peers' logs:" >&2
    tail -n 30 "$W/postfix.log" "$W/dovecot.log" "$W/caredesk.err" 2>/dev/null | grep -v '^$' >&2 || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "mail-peers-test: FAIL: $*" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
SMTP_PORT=$(free_port)
CAREDESK_LMTP=$(free_port)
DOVECOT_LMTP=$(free_port)
DOVECOT_IMAP=$(free_port)
# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds.
wait_for() {
  local limit=$(($1 * 5))
  shift
  for _ in $(seq "$limit"); do "$@" && return 0; sleep 0.2; done
  return 1
}

# --- Dovecot: the patient's mail provider (LMTP in, maildir) -------------------------------
mkdir -p "$W/mail"
chown nobody:nogroup "$W/mail"
cat >"$W/dovecot.conf" <<EOF
base_dir = $W/dovecot-run
state_dir = $W/dovecot-state
log_path = $W/dovecot.log
protocols = lmtp imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:$W/mail/%n
first_valid_uid = 1
passdb {
  driver = static
  args = password=patient-mail-password
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$W/mail/%n allow_all_users=yes
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_LMTP
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
dovecot -c "$W/dovecot.conf"

# --- Postfix: the MTA both sides use --------------------------------------------------------
PF=$W/postfix
mkdir -p "$PF" "$W/spool" "$W/pfdata"
chown postfix "$W/pfdata"
cat >"$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $W/spool
data_directory = $W/pfdata
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = test.example
myorigin = test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = clinic.example, patient.example
transport_maps = inline:{ clinic.example=lmtp:inet:127.0.0.1:$CAREDESK_LMTP, patient.example=lmtp:inet:127.0.0.1:$DOVECOT_LMTP }
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $W/postfix.log
maillog_file_prefixes = /tmp
smtputf8_enable = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
# The system's master.cf, without chroot, with smtpd on a loopback test port.
awk -v listen="127.0.0.1:$SMTP_PORT" '
  /^[a-z0-9]/ && NF >= 8 { if ($1 == "smtp" && $2 == "inet") $1 = listen; $5 = "n" }
  /^submission|^smtps/ { next }
  { print }' /etc/postfix/master.cf >"$PF/master.cf"
# Postfix reports its own errors on a terminal only; `script` gives it one when it fails.
postfix -c "$PF" check ||
  { script -qc "postfix -c $PF check" /dev/null >&2; fail "postfix's configuration"; }
postfix -c "$PF" start >/dev/null 2>&1 || fail "postfix did not start"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT" || fail "postfix is not listening"

# --- CareDesk -------------------------------------------------------------------------------
data=$W/data
"$BIN" tenant create --slug clinic --name "Lakeside Clinic" --data "$data" >/dev/null 2>&1
echo "a long enough password" | "$BIN" user create --tenant clinic \
  --email admin@clinic.example --role admin --data "$data" >/dev/null 2>&1
token=$("$BIN" token create --tenant clinic --user admin@clinic.example --data "$data" 2>/dev/null)
"$BIN" channel add-email --tenant clinic --address frontdesk@clinic.example \
  --smtp "smtp://127.0.0.1:$SMTP_PORT" --data "$data" >/dev/null
# The second practice reads its hosted mailbox (Dovecot's desk@patient.example) over IMAP.
"$BIN" tenant create --slug hosted --name "Hosted Mail Clinic" --data "$data" >/dev/null 2>&1
echo "a long enough password" | "$BIN" user create --tenant hosted \
  --email admin@hosted.example --role admin --data "$data" >/dev/null 2>&1
hosted_token=$("$BIN" token create --tenant hosted --user admin@hosted.example --data "$data" 2>/dev/null)
echo patient-mail-password >"$W/imap-password"
"$BIN" channel add-email --tenant hosted --address desk@patient.example \
  --smtp "smtp://127.0.0.1:$SMTP_PORT" --imap "imap://127.0.0.1:$DOVECOT_IMAP/INBOX" \
  --smtp-username desk --password-file "$W/imap-password" --data "$data" >/dev/null
echo '{"imap_poll_seconds": 1}' >"$W/caredesk.json"
"$BIN" serve --config "$W/caredesk.json" --data "$data" --listen 127.0.0.1:0 \
  --lmtp "127.0.0.1:$CAREDESK_LMTP" >"$W/caredesk.out" 2>"$W/caredesk.err" &
PID=$!
port=$(server_port "$W/caredesk.out" "" mail-peers-test) || fail "caredesk did not start"
api() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
base=http://127.0.0.1:$port/api/v1

# 1. The patient writes; Postfix delivers to CareDesk over LMTP.
swaks --silent 2 --server "127.0.0.1:$SMTP_PORT" --from zeb@patient.example \
  --to frontdesk@clinic.example --header "Subject: Refill question" \
  --header "Message-Id: <first-mail@patient.example>" --body "Is my lisinopril refill ready?" ||
  fail "postfix refused the patient's mail"
conversations() { api "$base/conversations?channel=email" | jq '.items | length'; }
one_conversation() { [ "$(conversations)" = 1 ]; }
wait_for 20 one_conversation || fail "no conversation from the patient's mail"
conv=$(api "$base/conversations?channel=email" | jq '.items[0].id')
text=$(api "$base/conversations/$conv" | jq -r '.messages[0].text')
[ "$text" = "Is my lisinopril refill ready?" ] || fail "stored text is '$text'"
echo "ok   a patient's mail through Postfix over LMTP opened conversation $conv"

# 2. The agent replies; CareDesk submits it to Postfix, which delivers it to Dovecot.
api -X POST "$base/conversations/$conv/replies" -d '{"text":"Yes, ready at the front desk."}' \
  >/dev/null || fail "the reply was refused"
delivered() { ls "$W/mail/zeb/new/" 2>/dev/null | grep -q .; }
wait_for 30 delivered || fail "the reply did not reach the patient's mailbox"
reply=$(cat "$W"/mail/zeb/new/*)
grep -q '^Subject: Re: Refill question' <<<"$reply" || fail "reply subject"
grep -q '^In-Reply-To: <first-mail@patient.example>' <<<"$reply" || fail "reply In-Reply-To"
grep -q '^References: <first-mail@patient.example>' <<<"$reply" || fail "reply References"
grep -q '^From: "Lakeside Clinic" <frontdesk@clinic.example>' <<<"$reply" || fail "reply From"
grep -q 'Yes, ready at the front desk.' <<<"$reply" || fail "reply text"
our_id=$(sed -n 's/^Message-ID: \(<caredesk\.[^>]*>\).*/\1/p' <<<"$reply")
[ -n "$our_id" ] || fail "the reply has no Message-ID of ours"
delivery=$(api "$base/conversations/$conv" | jq -r '.messages[1].delivery_status')
[ "$delivery" = sent ] || fail "the reply's delivery status is $delivery"
echo "ok   the agent's reply reached the patient's Dovecot mailbox, threaded under their mail"

# 3. The patient answers the reply; an out-of-office notice opens nothing.
swaks --silent 2 --server "127.0.0.1:$SMTP_PORT" --from zeb@patient.example \
  --to frontdesk@clinic.example --header "Subject: Re: Refill question" \
  --header "Message-Id: <second-mail@patient.example>" --header "In-Reply-To: $our_id" \
  --header "References: <first-mail@patient.example> $our_id" --body "Thanks, see you Friday." ||
  fail "postfix refused the answer"
messages() { api "$base/conversations/$conv" | jq '.messages | length'; }
three_messages() { [ "$(messages)" = 3 ]; }
wait_for 20 three_messages || fail "the answer did not thread into conversation $conv"
swaks --silent 2 --server "127.0.0.1:$SMTP_PORT" --from zeb@patient.example \
  --to frontdesk@clinic.example --header "Subject: Automatic reply: Re: Refill question" \
  --header "Auto-Submitted: auto-replied" --header "In-Reply-To: $our_id" \
  --body "I am out of the office." || fail "postfix refused the auto-reply"
auto_noted() { api "$base/conversations/$conv" | jq -e '[.events[].type] | index("auto_reply_received")' >/dev/null; }
wait_for 20 auto_noted || fail "the auto-reply was not noted"
[ "$(conversations)" = 1 ] || fail "the auto-reply opened a conversation"
[ "$(messages)" = 3 ] || fail "the auto-reply became a message"
echo "ok   the patient's answer threaded into conversation $conv; their auto-reply opened nothing"

# 4. Mail for the hosted practice lands in its Dovecot mailbox; CareDesk polls it over IMAP.
swaks --silent 2 --server "127.0.0.1:$SMTP_PORT" --from ana@elsewhere.example \
  --to desk@patient.example --header "Subject: New patient question" \
  --header "Message-Id: <hosted-1@elsewhere.example>" --body "Do you take new patients?" ||
  fail "postfix refused mail for the hosted practice"
hosted_conversations() {
  curl -sf -H "Authorization: Bearer $hosted_token" "$base/conversations?channel=email" |
    jq '.items | length'
}
hosted_one() { [ "$(hosted_conversations)" = 1 ]; }
wait_for 30 hosted_one || fail "the hosted mailbox's mail did not become a conversation"
flagged() {
  curl -sf --user desk:patient-mail-password "imap://127.0.0.1:$DOVECOT_IMAP/INBOX" \
    -X "UID SEARCH KEYWORD CareDeskStored" | grep -q '^\* SEARCH [0-9]'
}
wait_for 10 flagged || fail "the taken message was not flagged in the mailbox"
sleep 2  # two more polls
[ "$(hosted_conversations)" = 1 ] || fail "the polled message was taken twice"
hosted_text=$(curl -sf -H "Authorization: Bearer $hosted_token" "$base/conversations?channel=email" |
  jq -r '.items[0].id' | xargs -I{} curl -sf -H "Authorization: Bearer $hosted_token" \
  "$base/conversations/{}" | jq -r '.messages[0].text')
[ "$hosted_text" = "Do you take new patients?" ] || fail "polled text is '$hosted_text'"
[ "$(conversations)" = 1 ] || fail "the hosted practice's mail reached the other practice"
echo "ok   the hosted practice's Dovecot mailbox was polled over IMAP: one conversation, flagged"
