#!/usr/bin/env bash
# Build Casebook, start a local demo central store, and start the app.  bash scripts/run.sh
# The demo central store is clearly fictional (Demo Team, demo.* logins) and is stopped when the
# app closes. CASEBOOK_DEMO_PORT changes its port (default 8443).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build-app.sh"

stage "Building the central store (casebook-server)"
(cd "$ROOT" && cargo build -p casebook-server)

PORT="${CASEBOOK_DEMO_PORT:-8443}"
SERVER_URL="http://127.0.0.1:$PORT"
DEMO_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/casebook-demo-central"
SERVER="$ROOT/target/debug/casebook-server"
# The demo store is encrypted like a real one; its key is kept beside its folder, not inside it,
# as IT is told to do (init makes it the first time).
export CASEBOOK_SERVER_KEY_FILE="$DEMO_DIR.key"

stage "Starting a demo central store on $SERVER_URL (data in $DEMO_DIR)"
mkdir -p "$DEMO_DIR"
if [ -f "$DEMO_DIR/central.db" ] && [ ! -f "$CASEBOOK_SERVER_KEY_FILE" ]; then
  # A demo store from before the central store was encrypted at rest: encrypt it in place.
  "$SERVER" --data "$DEMO_DIR" encrypt
fi
"$SERVER" --data "$DEMO_DIR" init
DEMO_LINE="$("$SERVER" --data "$DEMO_DIR" demo)"
echo "$DEMO_LINE"
"$SERVER" serve --data "$DEMO_DIR" --listen "127.0.0.1:$PORT" >"$DEMO_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || die "the demo central store did not start; see $DEMO_DIR/server.log"
  sleep 0.2
done

cat <<INFO

Casebook is starting, with a demo central store for a fictional team.
  1. First time: choose the username demo.clinician (or demo.clinician2, demo.lead, or demo.admin for admin staff) and a passphrase
     of your own for this laptop's encrypted store.
  2. Open Settings > Team central store. The address is filled in ($SERVER_URL);
     type the same username and the demo password printed above, then Sign in.
  3. Write and sign a note, then press "Send and receive now" in the header. Signed in as
     demo.admin, log a referral; as demo.lead it then waits in the Inbox for triage.
The demo central store stops when you close Casebook. Its log: $DEMO_DIR/server.log

INFO

stage "Starting Casebook"
CASEBOOK_DEFAULT_SERVER="$SERVER_URL" "$ROOT/target/debug/casebook-app"
