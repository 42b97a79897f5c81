#!/usr/bin/env bash
# Build the UI and the desktop app (debug, with the bundled assets: the custom protocol).
# The result is target/debug/casebook-app. No installer is made (see `npm run tauri -- build` in ui/ for a .deb).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stage "Building the app (UI + Tauri shell)"
# tauri.conf.json's beforeBuildCommand runs `npm run build` in ui/ first.
cd "$ROOT/ui"
npm run --silent tauri -- build --debug --no-bundle --ci

stage "Building the central store and the casebook command (used by the E2E sync steps and run.sh)"
cd "$ROOT"
cargo build -p casebook-server -p casebook-cli
