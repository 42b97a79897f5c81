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

stage "Software bills of materials (CycloneDX) of what was just built"
# Next to the build: target/sbom/ (or $CARGO_TARGET_DIR/sbom). Rebuilt each time, never committed.
sbom_dir="${CARGO_TARGET_DIR:-$ROOT/target}/sbom"
rm -rf "$sbom_dir"
mkdir -p "$sbom_dir"
# The UI: npm's own generator, from the lock file (exactly what `npm ci` installs).
(cd "$ROOT/ui" && npm sbom --package-lock-only --sbom-format cyclonedx --sbom-type application) >"$sbom_dir/casebook-ui.cdx.json"
# The Rust workspace: one BOM per crate, for the platform built here, build-time crates included.
if command -v cargo-cyclonedx >/dev/null 2>&1; then
  host="$(rustc -vV | sed -n 's/^host: //p')"
  cargo cyclonedx --quiet --format json --spec-version 1.5 --target "$host"
  # It writes each BOM beside its crate's Cargo.toml; move them next to the build.
  find "$ROOT/crates" "$ROOT/src-tauri" -maxdepth 2 -name '*.cdx.json' -exec mv -t "$sbom_dir" {} +
else
  echo "cargo-cyclonedx is not installed (scripts/setup.sh --tests installs it): no SBOM of the Rust crates this time."
fi
ls -l "$sbom_dir" | tail -n +2
