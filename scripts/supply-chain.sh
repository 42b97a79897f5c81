#!/usr/bin/env bash
# Supply chain: known vulnerabilities and licences of what Casebook is built from.
#   bash scripts/supply-chain.sh            # what the supply_chain stage of scripts/test.sh runs
#   bash scripts/supply-chain.sh --install  # only install cargo-deny (scripts/setup.sh --tests)
# - npm audit of every package.json with dependencies, judged by supply-chain/npm-audit-exceptions.json
#   (high and critical fail unless excepted with a reason and an expiry date).
# - cargo deny check licenses bans sources, by deny.toml (no network needed).
# - cargo deny check advisories (RustSec), when its database can be had: fetched when
#   CASEBOOK_FETCH_ADVISORIES=1 (a hosted runner that reaches GitHub), else a copy already in
#   $CARGO_HOME/advisory-dbs; otherwise the stage says plainly that the check was skipped.
# CASEBOOK_REQUIRE_SUPPLY_CHAIN=1 turns every "skipped" into a failure (for a runner with full network).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

CARGO_DENY_VERSION=0.20.2

install_cargo_deny() {
  if command -v cargo-deny >/dev/null 2>&1 && cargo-deny --version | grep -qF " $CARGO_DENY_VERSION"; then
    echo "cargo-deny $CARGO_DENY_VERSION present."
    return 0
  fi
  # Its own build folder, not the workspace's target: built once per machine, into ~/.cargo/bin.
  env -u CARGO_TARGET_DIR cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
}

if [ "${1:-}" = "--install" ]; then
  install_cargo_deny
  exit 0
fi

skipped=()
skip() {
  echo "SKIPPED: $*"
  skipped+=("$*")
}

stage "Supply chain: npm audit (policy in supply-chain/npm-audit-exceptions.json)"
node --test --test-reporter=dot supply-chain/
for dir in ui tests/e2e; do
  if ! node -e 'const p = require(process.argv[1]); process.exit(Object.keys({...p.dependencies, ...p.devDependencies, ...p.optionalDependencies}).length ? 0 : 1)' "$ROOT/$dir/package.json"; then
    echo "$dir: no dependencies, nothing to audit."
    continue
  fi
  report="$(mktemp)"
  # npm audit exits non-zero when it finds anything; the policy script decides.
  (cd "$dir" && npm audit --json >"$report" 2>/dev/null) || true
  rc=0
  node scripts/npm-audit-policy.mjs "$report" supply-chain/npm-audit-exceptions.json || rc=$?
  rm -f "$report"
  case "$rc" in
    0) ;;
    3) skip "npm audit of $dir: the registry's audit endpoint could not be used from this network" ;;
    *) die "npm audit of $dir: an advisory at or above high has no live exception (see above); update the package or add a dated exception with a reason." ;;
  esac
done

stage "Supply chain: cargo deny (licences, bans, sources; policy in deny.toml)"
install_cargo_deny
cargo deny --locked check --hide-inclusion-graph licenses bans sources

stage "Supply chain: RustSec advisories (cargo deny check advisories)"
db_dir="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if [ "${CASEBOOK_FETCH_ADVISORIES:-0}" = 1 ]; then
  cargo deny --locked check --hide-inclusion-graph advisories
elif compgen -G "$db_dir/advisory-db-*" >/dev/null; then
  echo "Using the advisory database already in $db_dir (not fetched: $(git -C "$(compgen -G "$db_dir/advisory-db-*" | head -n1)" log -1 --format=%cs 2>/dev/null || echo 'date unknown'))."
  cargo deny --locked --offline check --hide-inclusion-graph advisories
else
  skip "RustSec advisories: the advisory database (a git repository on GitHub) cannot be fetched on this network and no copy is in $db_dir. A hosted runner sets CASEBOOK_FETCH_ADVISORIES=1 and runs cargo deny check advisories."
fi

if [ "${#skipped[@]}" -gt 0 ]; then
  stage "Supply chain: ${#skipped[@]} check(s) skipped"
  printf '  - %s\n' "${skipped[@]}"
  [ "${CASEBOOK_REQUIRE_SUPPLY_CHAIN:-0}" = 1 ] && die "CASEBOOK_REQUIRE_SUPPLY_CHAIN=1: a supply-chain check could not run."
fi
echo "Supply chain checks passed."
