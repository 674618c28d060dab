#!/usr/bin/env bash
# Builds the libFuzzer target for every parser of outside input (inbound JSON bodies, query
# strings, phone and email forms, business hours, SLA state, dates, identity-verification
# answers and replies, TOTP and recovery codes, key files, identity providers' key sets and ID
# tokens, cookies, mail as MTAs deliver it, text-message words and mail headers, live-chat
# settings, Asterisk queue_log lines, the names of files patients send) with clang (ASan +
# UBSan) and runs it for FUZZ_SECONDS (default 30; set it higher for a longer run) from the
# seed corpus. Fails on any crash, leak or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
out=build-fuzz
mkdir -p "$out/corpus"
cxx=(ccache clang++-14)
command -v ccache >/dev/null || cxx=(clang++-14)
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -DUSE_OS_TZDB=1 -DHAS_STRING_VIEW=1 -DONLY_C_LOCALE=1 -Isrc
       $(pkg-config --cflags gmime-3.0))
sources=(src/base/error.cpp src/base/text.cpp src/base/time.cpp
         src/core/tenancy/calendar.cpp src/core/sla/clock.cpp src/core/sla/policy.cpp
         src/core/inbox/types.cpp src/core/inbox/phone.cpp src/core/inbox/patient.cpp
         src/core/inbox/conversation.cpp src/core/inbox/files.cpp src/core/identity/verification.cpp
         src/security/totp.cpp src/security/crypto.cpp src/security/token.cpp src/security/jwt.cpp
         src/http/message.cpp src/http/json_input.cpp src/http/handlers/inbound.cpp
         src/channels/email/mime.cpp src/channels/email/parse.cpp src/channels/sms/text.cpp
         src/channels/voice/queue_log.cpp src/core/calls/call.cpp src/core/analytics/kpi.cpp
         src/jobs/chat_settings.cpp src/jobs/report_settings.cpp
         tests/fuzz/request_fuzz.cpp)
objs=()
for src in "${sources[@]}"; do
  obj="$out/obj/${src//\//_}.o"
  mkdir -p "$out/obj"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src/base src/core src/http -name '*.hpp' -newer "$obj" -print -quit)" ] ||
     [ -n "$(find src/channels src/jobs -name '*.hpp' -newer "$obj" -print -quit)" ]; then
    "${cxx[@]}" "${flags[@]}" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
"${cxx[@]}" "${flags[@]}" "${objs[@]}" -lboost_json -ldate-tz -lsodium -lcrypto \
  $(pkg-config --libs gmime-3.0) \
  -o "$out/request_fuzz"
cp -n tests/fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
echo "fuzz: running request_fuzz for ${seconds}s"
"$out/request_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
  -print_final_stats=1 "$out/corpus" tests/fuzz/corpus 2>&1 | tail -n 12
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); crash inputs are in $(pwd)" >&2
  exit "$status"
fi
echo "fuzz: 1 passed, 0 failed"
