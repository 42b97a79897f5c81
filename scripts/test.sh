#!/usr/bin/env bash
# Everything CI checks, in order. bash scripts/test.sh
# Add a stage: write a function `stage_<name>` and add its name to STAGES.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

stage_setup() {
  stage "Setup (with test extras)"
  bash "$ROOT/scripts/setup.sh" --tests
}

stage_safety() {
  stage "Clinical safety: the hazard log names tests that exist and run (docs/safety)"
  python3 "$ROOT/scripts/hazard-log.py"
}

stage_rust_tests() {
  stage "Rust tests (crates)"
  # PostgreSQL backend: a private, throw-away cluster on 127.0.0.1 for these tests only; it sets
  # CASEBOOK_TEST_DATABASE_URL and is stopped at the end of the stage (or when the script exits).
  source "$ROOT/scripts/postgres.sh"
  postgres_start
  if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --exclude casebook-app --no-tests=pass
  else
    cargo test --workspace --exclude casebook-app
  fi
  postgres_stop
}

stage_lint() {
  stage "Lint: clippy on every crate, the shell and the tests, warnings are errors"
  # Clippy comes with rustup's default profile; it cannot be fetched here (no access to
  # static.rust-lang.org), so a toolchain without it skips this stage and says so.
  if ! cargo clippy --version >/dev/null 2>&1; then
    echo "clippy is not installed with this Rust toolchain: lint skipped."
    return 0
  fi
  cargo clippy --workspace --all-targets --quiet -- -D warnings
}

stage_bindings() {
  stage "Generated TypeScript bindings are current"
  # The shell's own types (AppStatus, LockState) are exported by its ts-rs tests.
  cargo test -p casebook-app --bin casebook-app export_bindings -- --quiet
  if ! git diff --exit-code --stat -- ui/src/bindings || [ -n "$(git ls-files --others --exclude-standard -- ui/src/bindings)" ]; then
    git ls-files --others --exclude-standard -- ui/src/bindings
    die "ui/src/bindings changed when the tests ran: commit the regenerated bindings."
  fi
  echo "Bindings are current."
}

stage_api_conformance() {
  # The real casebook-server against crates/server/openapi.json, signed out and signed in.
  bash "$ROOT/scripts/api-conformance.sh"
}

stage_supply_chain() {
  # npm audit, cargo deny (licences, bans, sources; RustSec advisories where the database can be had).
  bash "$ROOT/scripts/supply-chain.sh"
}

stage_ui_check() {
  stage "UI type check (svelte-check) and unit tests"
  (cd ui && npm run --silent check && npm run --silent test:unit)
}

stage_build_app() {
  bash "$ROOT/scripts/build-app.sh"
}

stage_e2e() {
  stage "End-to-end test of the app window (Xvfb + tauri-driver)"
  (cd tests/e2e && xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- npm test --silent)
  echo "Screenshots: tests/e2e/artifacts/"
}

STAGES=(setup safety rust_tests lint bindings api_conformance supply_chain ui_check build_app e2e)

started=$(date +%s)
for s in "${STAGES[@]}"; do
  "stage_$s"
done
stage "All checks passed in $(( $(date +%s) - started )) s"
