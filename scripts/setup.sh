#!/usr/bin/env bash
# Install what Casebook needs to build and run, on Debian 12 / Ubuntu. Idempotent and fast when
# everything is already there. Run as root or with sudo available.
#   bash scripts/setup.sh           # build and run the app
#   bash scripts/setup.sh --tests   # also what the tests need (tauri-driver, WebKitWebDriver, Xvfb)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WITH_TESTS=0
for arg in "$@"; do
  case "$arg" in
    --tests) WITH_TESTS=1 ;;
    *) die "unknown option $arg (use --tests)" ;;
  esac
done

# Build and run: the Tauri toolchain's system libraries, and the tools scripts use.
PACKAGES=(
  build-essential pkg-config curl ca-certificates git
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  librsvg2-bin
)
# Tests: a virtual display, a private session bus, the WebKit WebDriver, image tools for artefacts,
# python3-xlib (to press a window's close button with no window manager),
# PostgreSQL for the central store's second backend (scripts/postgres.sh runs a private cluster),
# and python3-venv for Schemathesis (the API conformance stage installs it from PyPI into a venv).
TEST_PACKAGES=(webkit2gtk-driver xvfb xauth dbus-x11 imagemagick poppler-utils postgresql python3-xlib python3-venv openssl)
[ "$WITH_TESTS" -eq 1 ] && PACKAGES+=("${TEST_PACKAGES[@]}")

stage "System packages"
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "All present."
fi

stage "Rust and Node"
command -v cargo >/dev/null || die "Rust is not installed: install it from https://rustup.rs (stable, 1.90 or newer)."
command -v npm >/dev/null || die "Node.js is not installed: install Node 20 or newer with npm."
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node $node_major is too old: Node 20 or newer is needed."
echo "cargo $(cargo --version | cut -d' ' -f2), node $(node --version), npm $(npm --version)"

if [ "$WITH_TESTS" -eq 1 ]; then
  stage "tauri-driver (E2E)"
  if [ -x "$HOME/.cargo/bin/tauri-driver" ] || command -v tauri-driver >/dev/null 2>&1; then
    echo "Present."
  else
    cargo install tauri-driver --version 2.1.0 --locked
  fi

  stage "Schemathesis (API conformance) and cargo-deny (supply chain)"
  bash "$ROOT/scripts/api-conformance.sh" --install
  bash "$ROOT/scripts/supply-chain.sh" --install

  stage "cargo-cyclonedx (the Rust SBOM written by build-app.sh)"
  # A cargo subcommand answers --version only when called through cargo.
  if command -v cargo-cyclonedx >/dev/null 2>&1 && cargo cyclonedx --version 2>/dev/null | grep -qF " 0.5.9"; then
    echo "Present."
  else
    # Its own build folder, not the workspace's target: built once per machine, into ~/.cargo/bin.
    env -u CARGO_TARGET_DIR cargo install cargo-cyclonedx --version 0.5.9 --locked
  fi
fi

stage "UI dependencies (npm ci)"
# Reinstall only when package-lock.json changed since the last install.
lock="$ROOT/ui/package-lock.json"
stamp="$ROOT/ui/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ "$stamp" -nt "$lock" ]; then
  echo "Up to date."
else
  (cd "$ROOT/ui" && npm ci --no-audit --no-fund)
fi
# tests/e2e has no dependencies: Node's own test runner and fetch are enough.
