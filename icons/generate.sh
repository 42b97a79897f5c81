#!/usr/bin/env bash
# Rasterise the Casebook icon and make every size Tauri's bundler needs.
# Run from anywhere: bash icons/generate.sh   (needs librsvg2-bin and ui/node_modules)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
rsvg-convert --width 1024 --height 1024 "$here/casebook.svg" --output "$here/casebook-1024.png"
cd "$root/ui"
npm run --silent tauri -- icon "$here/casebook-1024.png" --output "$here"
# The desktop bundles (deb) only need the desktop sizes; drop the mobile sets.
rm -rf "$here/android" "$here/ios"
echo "Icons written to $here"
