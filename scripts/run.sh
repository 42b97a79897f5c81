#!/usr/bin/env bash
# Build Casebook and start it.  bash scripts/run.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build-app.sh"

stage "Starting Casebook"
exec "$ROOT/target/debug/casebook-app"
