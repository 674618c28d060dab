#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and domain tests, the storage
# conformance suite on SQLite and on a throw-away PostgreSQL cluster (loopback only), the API
# over real HTTP, the kill -9 crash test, webhooks signed by the official twilio package, mail
# through real Postfix and Dovecot, the browser code's unit tests, the chat widget and the
# agent console in chromium, the request fuzzer, and the whole suite again under ASan + UBSan,
# after clang-format and clang-tidy checks; then scans every log the tests wrote for the test
# data's patient information (scripts/phi-scan.sh). Set CAREDESK_SKIP_ASAN=1 for a quicker
# local loop.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release

echo "== lint (clang-format, clang-tidy)"
scripts/lint.sh

pgdir=/tmp/caredesk-test-pg-$$
cleanup() { scripts/pg-test-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
CAREDESK_TEST_PG_URL=$(scripts/pg-test-cluster.sh start "$pgdir")
export CAREDESK_TEST_PG_URL CAREDESK_REQUIRE_PG=1

echo "== test suite (release build)"
ctest --test-dir build -j2 --output-on-failure --timeout 300

echo "== no patient information in what the tests logged"
scripts/phi-scan.sh build/Testing/Temporary/LastTest.log

echo "== sqlmap against the API's parameters"
scripts/sqlmap-test.sh

echo "== webhooks signed by the official twilio package"
scripts/twilio-sdk-test.sh

echo "== mail through real Postfix and Dovecot"
scripts/mail-peers-test.sh

echo "== the browser code's unit tests (node)"
(cd web && npm test --silent)

echo "== the chat widget and the agent console in a real browser (chromium)"
scripts/browser-test.sh

echo "== request fuzzer"
FUZZ_SECONDS=${FUZZ_SECONDS:-30} scripts/fuzz.sh

if [ "${CAREDESK_SKIP_ASAN:-0}" != "1" ]; then
  echo "== test suite (ASan + UBSan build)"
  scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j2 --output-on-failure --timeout 600
  scripts/phi-scan.sh build-asan/Testing/Temporary/LastTest.log
fi
echo "== all tests passed"
