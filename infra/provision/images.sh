#!/usr/bin/env bash
# Builds the container images of the harness node without a registry or a daemon, with buildah
# (Debian's package; rootless-style `--isolation chroot` builds need no runc and no privileges this
# VM withholds), into docker-archive tars in the harness cache that the node's containerd imports.
#
#   images.sh <cache> pause <pause-v>              -> <cache>/pause-<v>/image-<hash>.tar
#   images.sh <cache> coredns <coredns-build>      -> <cache>/coredns-<build>/image-<hash>.tar
#   images.sh <cache> platform <repo> <tag>        -> <cache>/platform-image/<inputs-hash>.tar
#   images.sh <cache> postgres <repo>              -> <cache>/store-images/postgres-15-<hash>.tar
#   images.sh <cache> ferretdb <repo> <ferretdb>   -> <cache>/store-images/ferretdb-<hash>.tar
#   images.sh <cache> prometheus-operator <repo> <v>  -> <cache>/prometheus-operator-<v>/image-<hash>.tar
#   images.sh <cache> prometheus <repo> <binary>   -> <cache>/prometheus-<v>/image-<hash>.tar
# Each prints `<tar> <image reference>` on stdout; progress goes to stderr. A tar that exists is
# reused: the names carry a hash of every input (for the platform: the Dockerfile, the lockfile and
# the sources it copies), so a warm run builds nothing.
#
# The platform image is built from the project's Dockerfile unchanged, with BASE set to a local
# Node.js image: Debian bookworm (mmdebstrap, minbase) + the project's Node.js from the npm
# registry (the binary infra/provision/node.sh installed) + npm from the npm registry.
set -euo pipefail

main() {
  cache="$1"
  what="$2"
  shift 2
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  repo="$(cd "$here/../.." && pwd)"
  log() { echo "[infra] images: $*" >&2; }

  mkdir -p "$cache"
  exec 8>"$cache/.image-build.lock"
  if ! flock -n 8; then
    log "another image build holds $cache/.image-build.lock; waiting for it"
    flock 8
  fi
  command -v buildah >/dev/null 2>&1 || { echo "images.sh: buildah is missing (make deps installs it)" >&2; exit 1; }
  storage="$cache/buildah/storage"
  B=(buildah --root "$storage" --runroot "${XDG_RUNTIME_DIR:-/tmp}/credit-buildah-$(id -u)" --storage-driver overlay)
  export BUILDAH_ISOLATION=chroot

  case "$what" in
    pause) image_pause "$@" ;;
    coredns) image_coredns "$@" ;;
    platform) image_platform "$@" ;;
    postgres) image_postgres "$@" ;;
    ferretdb) image_ferretdb "$@" ;;
    prometheus-operator) image_prometheus_operator "$@" ;;
    prometheus) image_prometheus "$@" ;;
    *) echo "images.sh: unknown image $what" >&2; exit 2 ;;
  esac
}

# hash_of <file or folder> ...: one short hash over the contents of every file and its path
# relative to the argument (not the checkout's location, so every checkout shares the cache).
hash_of() {
  local f
  for f in "$@"; do
    if [ -d "$f" ]; then
      echo "== $(basename "$f")"
      (cd "$f" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    else
      printf '%s  %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$(basename "$f")"
    fi
  done | sha256sum | cut -c1-12
}

# build_tar <context> <reference> <tar> [bud args ...]: buildah bud, then the image as a docker-archive.
build_tar() {
  local context="$1" ref="$2" tar="$3"
  shift 3
  local started=$SECONDS
  log "building $ref (buildah bud; progress below)"
  "${B[@]}" bud --isolation chroot --network host --layers=false --quiet=false -t "$ref" "$@" "$context" \
    | sed -u 's/^/[infra] images:   /' >&2
  mkdir -p "$(dirname "$tar")"
  rm -f "$tar.partial"
  "${B[@]}" push --quiet "$ref" "docker-archive:$tar.partial:$ref" >&2
  mv -f "$tar.partial" "$tar"
  # The tar is the cached artefact; the copy in buildah's store is not needed again.
  "${B[@]}" rmi "$ref" >/dev/null 2>&1 || true
  log "built $ref in $((SECONDS - started))s: $(du -m "$tar" | cut -f1) MB -> $tar"
}

image_pause() {
  local v="$1" out="$cache/pause-$1"
  local ref="localhost/credit-platform/pause:$v"
  local hash
  hash="$(hash_of "$repo/images/pause" "$out/pause")"
  local tar="$out/image-$hash.tar"
  if [ ! -s "$tar" ]; then
    local ctx
    ctx="$(mktemp -d)"
    cp "$repo/images/pause/Dockerfile" "$out/pause" "$ctx/"
    build_tar "$ctx" "$ref" "$tar"
    rm -rf "$ctx"
  fi
  echo "$tar $ref"
}

image_coredns() {
  local v="$1" out="$cache/coredns-$1"
  local ref="localhost/credit-platform/coredns:$v"
  local hash
  hash="$(hash_of "$repo/images/coredns" "$out/bin/coredns")"
  local tar="$out/image-$hash.tar"
  if [ ! -s "$tar" ]; then
    local ctx
    ctx="$(mktemp -d)"
    cp "$repo/images/coredns/Dockerfile" "$out/bin/coredns" "$ctx/"
    build_tar "$ctx" "$ref" "$tar"
    rm -rf "$ctx"
  fi
  echo "$tar $ref"
}

# mmdebstrap_rootfs <out.tar> <packages> [extra mmdebstrap args]: a minimal Debian bookworm root.
mmdebstrap_rootfs() {
  local out="$1" include="$2"
  shift 2
  command -v mmdebstrap >/dev/null 2>&1 || { echo "images.sh: mmdebstrap is missing (make deps installs it)" >&2; exit 1; }
  local mirror="http://deb.debian.org/debian"
  mmdebstrap --variant=minbase --mode=root --quiet --include="$include" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
    "$@" bookworm "$out" "$mirror" "deb http://deb.debian.org/debian-security bookworm-security main" >&2
}

# The local base for the platform image: what node:<v>-bookworm-slim provides to the Dockerfile
# (Node.js and npm on PATH, CA certificates). Kept in buildah's store, tagged by its inputs.
NPM_VERSION=11.19.1
# Bump a recipe number when its steps below change (the hashes cover the files in images/ only).
BASE_RECIPE=1
POSTGRES_RECIPE=1
# The base's reference: a function of the versions and the recipe, so a platform tar made from it
# is found in the cache without the base being present.
base_ref() {
  echo "localhost/credit-platform/node-base:$(tr -d '[:space:]' <"$repo/.node-version")-npm$NPM_VERSION-r$BASE_RECIPE"
}

base_image() {
  local node_version
  node_version="$(tr -d '[:space:]' <"$repo/.node-version")"
  local ref
  ref="$(base_ref)"
  if "${B[@]}" inspect --type image "$ref" >/dev/null 2>&1; then echo "$ref"; return; fi
  local node_bin="$cache/node-v$node_version/bin/node"
  [ -x "$node_bin" ] || { echo "images.sh: $node_bin is missing (make node installs it)" >&2; exit 1; }
  local started=$SECONDS tmp
  tmp="$(mktemp -d)"
  log "making the base image $ref: Debian bookworm (mmdebstrap) + Node.js $node_version + npm $NPM_VERSION"
  (cd "$tmp" && npm pack "npm@$NPM_VERSION" --silent --no-audit --no-fund >/dev/null)
  mmdebstrap_rootfs "$tmp/rootfs.tar" ca-certificates \
    --customize-hook="cp '$node_bin' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$tmp'/npm-*.tgz -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"'
  local ctr
  ctr="$("${B[@]}" from scratch)"
  "${B[@]}" add "$ctr" "$tmp/rootfs.tar" / >/dev/null
  "${B[@]}" config --env "NODE_VERSION=$node_version" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd node "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$ref" >/dev/null
  rm -rf "$tmp"
  log "base image ready in $((SECONDS - started))s"
  echo "$ref"
}

image_platform() {
  local src="$1" ref="$2"
  local base
  base="$(base_ref)"
  local hash
  hash="$(cd "$src" && { echo "$base"; hash_of Dockerfile .dockerignore package.json package-lock.json \
    tsconfig.json tsconfig.build.json cli lib api operator cdk8s workloads dashboards crds; } | sha256sum | cut -c1-16)"
  local tar="$cache/platform-image/$hash.tar"
  if [ ! -s "$tar" ]; then
    base="$(base_image)"
    # npm in the build stage trusts the CAs this machine trusts (a TLS-intercepting proxy's, say):
    # the host's bundle and a global npmrc naming it are mounted for the RUN steps only, so
    # neither ends up in the image.
    local npmrc
    npmrc="$(mktemp)"
    printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >"$npmrc"
    local mounts=(-v "$npmrc:/usr/local/etc/npmrc:ro")
    if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
      mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
    fi
    build_tar "$src" "$ref" "$tar" --build-arg "BASE=$base" -f "$src/Dockerfile" "${mounts[@]}"
    rm -f "$npmrc"
    # Older builds of the platform image are not used again.
    find "$cache/platform-image" -name '*.tar' ! -name "$hash.tar" -delete
    prune_store
  fi
  echo "$tar $ref"
}

# buildah keeps the base and, after a build, nothing else: each build pushes its image to a tar and
# removes it, and whatever a failed build left behind is pruned here.
prune_store() {
  "${B[@]}" rm --all >/dev/null 2>&1 || true
  local keep
  keep="$(base_ref)"
  "${B[@]}" images --format '{{.Name}}:{{.Tag}} {{.ID}}' | while read -r name id; do
    [ "$name" = "$keep" ] || "${B[@]}" rmi -f "$id" >/dev/null 2>&1 || true
  done
}

image_postgres() {
  local src="$1"
  local hash
  hash="$( { echo "recipe $POSTGRES_RECIPE"; hash_of "$src/images/postgres"; } | sha256sum | cut -c1-12)"
  local ref="localhost/credit-platform/postgres:15-$hash"
  local tar="$cache/store-images/postgres-15-$hash.tar"
  if [ ! -s "$tar" ]; then
    local started=$SECONDS ctx
    ctx="$(mktemp -d)"
    log "making the PostgreSQL root file system (mmdebstrap: bookworm minbase + postgresql-15)"
    # uid/gid 70 for postgres, as in the official Alpine image; JIT (LLVM, about 100 MB) left out.
    mmdebstrap_rootfs "$ctx/rootfs.tar" postgresql-15 \
      --customize-hook='sed -i "s/^postgres:x:[0-9]*:[0-9]*:/postgres:x:70:70:/" "$1/etc/passwd" && sed -i "s/^postgres:x:[0-9]*:/postgres:x:70:/" "$1/etc/group"' \
      --customize-hook='rm -f "$1"/usr/lib/postgresql/15/lib/llvmjit* "$1"/usr/lib/x86_64-linux-gnu/libLLVM* "$1"/usr/lib/aarch64-linux-gnu/libLLVM*; rm -rf "$1"/usr/lib/postgresql/15/lib/bitcode'
    log "PostgreSQL root file system made in $((SECONDS - started))s"
    cp "$src/images/postgres/Dockerfile" "$src/images/postgres/docker-entrypoint.sh" "$ctx/"
    build_tar "$ctx" "$ref" "$tar"
    rm -rf "$ctx"
    find "$cache/store-images" -name 'postgres-15-*.tar' ! -name "postgres-15-$hash.tar" -delete
  fi
  echo "$tar $ref"
}

image_ferretdb() {
  local src="$1" bin="$2"
  local hash
  hash="$( { hash_of "$src/images/ferretdb"; sha256sum <"$bin"; } | sha256sum | cut -c1-12)"
  local ref="localhost/credit-platform/ferretdb:1.24-$hash"
  local tar="$cache/store-images/ferretdb-$hash.tar"
  if [ ! -s "$tar" ]; then
    local ctx lib
    ctx="$(mktemp -d)"
    mkdir -p "$ctx/rootfs/tmp" "$ctx/rootfs/state"
    chmod 1777 "$ctx/rootfs/tmp"
    cp "$bin" "$ctx/rootfs/ferretdb"
    # The harness build links the C library (cgo): copy exactly what the loader needs.
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$ctx/rootfs$(dirname "$lib")"
      cp -L "$lib" "$ctx/rootfs$lib"
    done
    cp "$src/images/ferretdb/Dockerfile" "$ctx/"
    build_tar "$ctx" "$ref" "$tar"
    rm -rf "$ctx"
    find "$cache/store-images" -name 'ferretdb-*.tar' ! -name "ferretdb-$hash.tar" -delete
  fi
  echo "$tar $ref"
}

image_prometheus_operator() {
  local src="$1" v="$2" out="$cache/prometheus-operator-$2"
  local hash
  hash="$(hash_of "$src/images/prometheus-operator" "$out/bin/operator" "$out/bin/prometheus-config-reloader")"
  local ref="localhost/credit-platform/prometheus-operator:$v-$hash"
  local tar="$out/image-$hash.tar"
  if [ ! -s "$tar" ]; then
    local ctx
    ctx="$(mktemp -d)"
    cp "$src/images/prometheus-operator/Dockerfile" "$out/bin/operator" "$out/bin/prometheus-config-reloader" "$ctx/"
    build_tar "$ctx" "$ref" "$tar"
    rm -rf "$ctx"
    find "$out" -maxdepth 1 -name 'image-*.tar' ! -name "image-$hash.tar" -delete
  fi
  echo "$tar $ref"
}

image_prometheus() {
  local src="$1" bin="$2"
  [ -x "$bin" ] || { echo "images.sh: $bin is missing (infra/provision/prometheus-operator.sh builds it)" >&2; exit 1; }
  local version hash
  version="$("$bin" --version 2>&1 | head -1 | sed -E 's/^prometheus, version ([0-9.]+).*/\1/')"
  hash="$( { hash_of "$src/images/prometheus"; sha256sum <"$bin"; } | sha256sum | cut -c1-12)"
  local ref="localhost/credit-platform/prometheus:$version-$hash"
  local tar="$cache/prometheus-$version/image-$hash.tar"
  if [ ! -s "$tar" ]; then
    local ctx
    ctx="$(mktemp -d)"
    mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/prometheus" "$ctx/rootfs/etc/prometheus" "$ctx/rootfs/tmp"
    chmod 1777 "$ctx/rootfs/tmp"
    cp "$bin" "$ctx/rootfs/bin/prometheus"
    cp "$src/images/prometheus/Dockerfile" "$ctx/"
    build_tar "$ctx" "$ref" "$tar"
    rm -rf "$ctx"
    find "$cache/prometheus-$version" -maxdepth 1 -name 'image-*.tar' ! -name "image-$hash.tar" -delete
  fi
  echo "$tar $ref"
}

main "$@"
