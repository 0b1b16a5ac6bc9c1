#!/usr/bin/env bash
# The conformance suite three ways, as CI runs it (make conformance):
#   1. against the fake started in-process by the suite;
#   2. against a separately started `moonkey-mock serve` process (control API on; a test double on
#      purpose, so the real-target hygiene rules are deselected: -m "not hygiene");
#   3. against `moonkey-mock serve --no-control` with keys of its own, a stand-in for a real
#      deployment: the tests that need a control are skipped with reasons, codes come from the
#      fake's console log, and the hygiene rules run (no /_mock/, no default key);
#   4. plain schemathesis (`st run openapi.yaml`, default checks, the shipped schemathesis.toml)
#      against the first `moonkey-mock serve`;
#   5. against `moonkey-mock serve --store redis://…` (a throw-away redis-server on loopback;
#      skipped with a line when redis-server is not installed): the native server's calls on
#      the loop that step aside while Redis answers (docs/decisions.md V21).
# Reports (JUnit XML + per-rule summaries) go to reports/. Servers are killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
REPORTS=${REPORTS:-reports}
# extra arguments for every run, e.g. CONFORMANCE_ARGS="--no-schema" or "-x"
read -r -a EXTRA <<<"${CONFORMANCE_ARGS:-}"
mkdir -p "$REPORTS"
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_fake NAME [serve options]: start a fake on a free port; sets URL, KEY, PUBLIC, LOG.
start_fake() {
  local name=$1
  shift
  LOG="$WORK/$name.log"
  : >"$LOG" # exists before the first read, however late the server starts
  "$BIN/moonkey-mock" serve --port 0 "$@" >"$LOG" 2>&1 &
  PIDS+=("$!")
  URL=""
  for _ in $(seq 1 200); do
    URL=$(sed -n 's|^moonkey-mock listening on \(http://[^ ]*\).*|\1|p' "$LOG")
    [ -n "$URL" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$URL" ]; then
    echo "conformance-ci: the fake '$name' did not start:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  KEY=$(sed -n 's/^ *secret key: *//p' "$LOG")
  PUBLIC=$(sed -n 's/^ *public token: *//p' "$LOG")
}

# timed NAME COMMAND...: run and print how long it took.
timed() {
  local name=$1 started ended
  shift
  started=$(date +%s%N)
  "$@"
  ended=$(date +%s%N)
  echo "conformance-ci: [$name] passed in $(((ended - started) / 1000000)) ms"
}

reports() {
  echo --junitxml "$REPORTS/conformance-$1.xml" --moonkey-report "$REPORTS/conformance-$1.md"
}

# 1. in-process fake
# shellcheck disable=SC2046
timed in-process "$BIN/moonkey-mock" conformance -q $(reports in-process) "${EXTRA[@]}"

# 2. a separately started fake, through the installed command
start_fake serve
SERVE_URL=$URL
SERVE_KEY=$KEY
# shellcheck disable=SC2046
timed serve "$BIN/moonkey-mock" conformance --target "$URL" --api-key "$KEY" \
  --moonkey-public-token "$PUBLIC" -m "not hygiene" -q $(reports serve) "${EXTRA[@]}"

# 3. no control API: a real deployment's view; codes read from the console log
RANDOM48='import secrets, string; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(48)))'
OWN_KEY="sk_test_$("$BIN/python" -c "$RANDOM48")"
OWN_PUBLIC="pk_test_$("$BIN/python" -c "$RANDOM48")"
start_fake no-control --no-control --secret-key "$OWN_KEY" --public-token "$OWN_PUBLIC"
# shellcheck disable=SC2046
timed no-control "$BIN/moonkey-mock" conformance --target "$URL" --api-key "$KEY" \
  --moonkey-public-token "$PUBLIC" \
  --moonkey-code-command "$BIN/python -m conformance.log_reader $LOG" -q -rs $(reports no-control) "${EXTRA[@]}"

# 4. plain schemathesis, as a user would run it (fixed seed: the same cases every CI run)
timed plain-schemathesis "$BIN/st" run openapi.yaml --url "$SERVE_URL" \
  -H "Authorization: Bearer $SERVE_KEY" --seed 1 --no-color

# 5. a fake on Redis: the API path on the loop, stepping aside while Redis answers (V21)
if command -v redis-server >/dev/null 2>&1; then
  REDIS_PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --dir "$WORK" >"$WORK/redis.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 100); do
    "$BIN/python" -c "import redis; redis.Redis(port=$REDIS_PORT).ping()" 2>/dev/null && break
    sleep 0.1
  done
  start_fake redis --store "redis://127.0.0.1:$REDIS_PORT/0"
  # shellcheck disable=SC2046
  timed redis "$BIN/moonkey-mock" conformance --target "$URL" --api-key "$KEY" \
    --moonkey-public-token "$PUBLIC" -m "not hygiene" -q $(reports redis) "${EXTRA[@]}"
else
  echo "conformance-ci: redis-server is not installed: no run on a Redis store"
fi
