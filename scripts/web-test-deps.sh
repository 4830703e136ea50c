#!/usr/bin/env bash
# axe-core (the accessibility engine the browser tests inject into each page), fetched from the npm registry
# into .cache/axe-core once (pinned version, not committed). Prints the path of axe.min.js.
set -euo pipefail
AXE_VERSION="${AXE_VERSION:-4.14.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/axe-core/$AXE_VERSION"
if [ ! -s "$dest/axe.min.js" ]; then
  command -v npm >/dev/null || { echo "[web-test-deps] npm is missing (apt-get install npm)" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null && tar xzf "axe-core-$AXE_VERSION.tgz")
  mkdir -p "$dest"
  cp "$work/package/axe.min.js" "$work/package/LICENSE" "$dest/"
fi
echo "$dest/axe.min.js"
