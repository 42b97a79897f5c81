#!/usr/bin/env bash
# API conformance: the real casebook-server against its own OpenAPI document, with Schemathesis.
#   bash scripts/api-conformance.sh            # build, start a throw-away server, run both passes
#   bash scripts/api-conformance.sh --install  # only install Schemathesis (scripts/setup.sh --tests)
# Environment: CASEBOOK_SERVER_BIN (a built binary to test; default: build the debug one),
# CASEBOOK_CONFORMANCE_EXAMPLES (generated requests per operation and phase, default
# 100), CASEBOOK_CONFORMANCE_SEED (default fixed, so a failure reproduces; "random" for a fresh one).
# The server is started the way IT starts it (init, team add, user add, serve), on a free loopback
# port with its own data folder, and stopped when the script exits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCHEMATHESIS_VERSION=4.32.5
VENV="${CASEBOOK_SCHEMATHESIS_VENV:-$ROOT/target/schemathesis-venv}"
EXAMPLES="${CASEBOOK_CONFORMANCE_EXAMPLES:-100}"
SEED="${CASEBOOK_CONFORMANCE_SEED:-20240611}"
CONFIG="$ROOT/crates/server/schemathesis.toml"

install_schemathesis() {
  if [ -x "$VENV/bin/schemathesis" ] && "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF " $SCHEMATHESIS_VERSION"; then
    echo "Schemathesis $SCHEMATHESIS_VERSION present ($VENV)."
    return 0
  fi
  python3 -c 'import venv, ensurepip' 2>/dev/null || die "python3 cannot make a virtual environment: install python3-venv (scripts/setup.sh --tests does)."
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  echo "Installed Schemathesis $SCHEMATHESIS_VERSION in $VENV."
}

if [ "${1:-}" = "--install" ]; then
  install_schemathesis
  exit 0
fi

install_schemathesis

# ---- the server, as IT would set it up ----
# CASEBOOK_SERVER_BIN: test an already built binary instead (e.g. a release build).
if [ -n "${CASEBOOK_SERVER_BIN:-}" ]; then
  SERVER="$CASEBOOK_SERVER_BIN"
else
  # Where cargo put it, as cargo says (whatever the target directory is).
  SERVER="$(cargo build --quiet -p casebook-server --bin casebook-server --message-format=json-render-diagnostics \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "casebook-server":
        print(m["executable"])')"
  [ -x "$SERVER" ] || die "cargo did not say where it built casebook-server"
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/casebook-conformance.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Fictional team and account, in a data folder that is thrown away afterwards.
DATA="$WORK/data"
USERNAME="conformance.lead"
PASSWORD="conformance-password-fictional"
server() { "$SERVER" --data "$DATA" "$@"; }
server init >/dev/null
server team add "Conformance Team (fictional)" >/dev/null
CASEBOOK_NEW_PASSWORD="$PASSWORD" server user add "$USERNAME" --team "Conformance Team (fictional)" --role lead >/dev/null

# Port 0: the system picks a free port, and the server prints the address it got.
RUST_LOG=warn "$SERVER" --data "$DATA" serve --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
BASE=""
for _ in $(seq 1 100); do
  BASE="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.out" 2>/dev/null | head -n1 || true)"
  [ -n "$BASE" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; die "casebook-server did not start"; }
  sleep 0.1
done
[ -n "$BASE" ] || die "casebook-server did not say where it listens within 10 s"
echo "casebook-server $("$SERVER" --version | cut -d' ' -f2) on $BASE (data in a throw-away folder)"

TOKEN="$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\",\"device_name\":\"Conformance runner\"}" \
  "$BASE/v1/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["session"]["access_token"])')"
[ -n "$TOKEN" ] || die "could not sign in to the throw-away server"

# ---- Schemathesis, signed out and signed in ----
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance,negative_data_rejection,ignored_auth
seed_args=()
[ "$SEED" = "random" ] || seed_args=(--seed "$SEED")
run_pass() {
  local name="$1"; shift
  stage "API conformance: $name ($EXAMPLES examples per operation)"
  local started=$(date +%s)
  # Output goes to the terminal; the exit status says whether any check failed.
  if ! "$VENV/bin/schemathesis" --no-color --config-file "$CONFIG" run "$BASE/openapi.json" \
      --checks "$CHECKS" --max-examples "$EXAMPLES" "${seed_args[@]}" \
      --workers 1 --generation-database none --request-timeout 10 "$@"; then
    echo "--- server log (errors and warnings) ---"
    tail -n 40 "$WORK/server.err"
    die "the server and crates/server/openapi.json disagree ($name); see the failures above. Fix the server or the document, never just the check."
  fi
  echo "$name: $(( $(date +%s) - started )) s"
}
run_pass "signed out"
run_pass "signed in as a team lead" -H "Authorization: Bearer $TOKEN"
kill -0 "$SERVER_PID" 2>/dev/null || die "casebook-server stopped during the run"
