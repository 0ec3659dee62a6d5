#!/usr/bin/env bash
# Shared by the provision scripts that build Go programs from the Go module proxy (sourced).
# Defines:
#   require_pin <module-dir> <module-path> <version>  fail when the wrapper go.mod pins another version
#   go_build <label> <module-dir> <out-bin-dir> <ldflags> <package> [package ...]
#     builds into a scratch folder next to <out-bin-dir> and moves the binaries in only when all
#     built; a set that is already complete is not rebuilt. A progress line every 30 s. Extra build
#     tags come from GO_BUILD_TAGS; CGO_ENABLED is taken from the caller's environment.
# The caller defines log() before sourcing.

command -v go >/dev/null 2>&1 || { echo "go is not installed (apt-get install golang-go, or a Go toolchain >= 1.24)" >&2; exit 1; }

require_pin() {
  local pinned
  pinned="$(cd "$1" && go list -m -f '{{.Version}}' "$2")"
  if [ "$pinned" != "$3" ]; then
    echo "$1/go.mod pins $2 $pinned but the harness expects $3; update one of them" >&2
    exit 1
  fi
}

go_build() {
  local label="$1" moddir="$2" outdir="$3" ldflags="$4"
  shift 4
  local names=() missing=0 pkg n
  for pkg in "$@"; do
    n="$(basename "$pkg")"
    # A module root built as a program (github.com/opencontainers/runc) is named after the module.
    names+=("$n")
  done
  for n in "${names[@]}"; do [ -x "$outdir/$n" ] || missing=1; done
  if [ "$missing" -eq 0 ]; then return 0; fi
  local tmp="$outdir.partial.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "building $label (${names[*]}) with $(go env GOVERSION); this takes minutes when the Go build cache is cold"
  local started=$SECONDS
  (cd "$moddir" && exec go build -buildvcs=false ${GO_BUILD_TAGS:+-tags "$GO_BUILD_TAGS"} -ldflags "$ldflags" -o "$tmp/" "$@") &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 1 30); do
      sleep 1
      kill -0 "$pid" 2>/dev/null || break
    done
    if kill -0 "$pid" 2>/dev/null; then log "still building $label ($((SECONDS - started))s elapsed)"; fi
  done
  if ! wait "$pid"; then
    rm -rf "$tmp"
    echo "building $label failed (see the go build output above)" >&2
    exit 1
  fi
  mkdir -p "$outdir"
  for n in "${names[@]}"; do mv -f "$tmp/$n" "$outdir/$n"; done
  rm -rf "$tmp"
  log "built $label in $((SECONDS - started))s -> $outdir"
}
