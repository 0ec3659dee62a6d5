#!/usr/bin/env bash
# Builds kube-score (github.com/zegl/kube-score, a Kubernetes manifest checker) from the Go module
# proxy into the harness cache, one folder per version:
#   <cache>/kube-score-<v>/bin/kube-score
# the way its release is built (static, `-X main.version`), with `go install <pkg>@<v>`: the module's
# own go.mod and go.sum pin every dependency, checked against the Go checksum database.
# Usage: kube-score.sh <cache-dir> <version>
# Idempotent: an existing binary is not rebuilt. The policy check (test/integration/policy/) runs it.
set -euo pipefail

main() {
  cache="$1"
  version="$2"
  out="$cache/kube-score-$version/bin"
  log() { echo "[infra] kube-score: $*" >&2; }

  if [ -x "$out/kube-score" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || { echo "kube-score.sh: go is not installed (apt-get install golang-go, or a Go toolchain >= 1.24)" >&2; exit 1; }

  mkdir -p "$cache"
  exec 9>"$cache/.kube-score-provision.lock"
  flock 9
  if [ -x "$out/kube-score" ]; then return 0; fi

  local tmp="$out.partial.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "building kube-score $version with $(go env GOVERSION)"
  local started=$SECONDS
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go install -ldflags "-s -w -X main.version=$version" "github.com/zegl/kube-score/cmd/kube-score@$version"; then
    rm -rf "$tmp"
    echo "kube-score.sh: building kube-score $version failed (see the go output above)" >&2
    exit 1
  fi
  "$tmp/kube-score" version | grep -q "kube-score version: $version," || {
    echo "kube-score.sh: the built binary does not report version $version" >&2
    exit 1
  }
  mkdir -p "$out"
  mv -f "$tmp/kube-score" "$out/kube-score"
  rm -rf "$tmp"
  log "built kube-score $version in $((SECONDS - started))s -> $out"
}

main "$@"
