#!/usr/bin/env bash
# Builds the harness node's container runtime and cluster DNS from the Go module proxy into the
# harness cache, one folder per version:
#   <cache>/containerd-<v>/bin/{containerd,containerd-shim-runc-v2,ctr}   (infra/go/containerd)
#   <cache>/runc-<v>/bin/runc                                            (infra/go/runc, cgo + libseccomp)
#   <cache>/crictl-<v>/bin/crictl                                        (infra/go/crictl)
#   <cache>/coredns-<build>/bin/coredns                                  (infra/go/coredns)
#   <cache>/pause-<v>/pause                                              (infra/pause/pause.c, gcc -static)
# Usage: node-runtime.sh <cache-dir> <containerd-v> <runc-v> <crictl-v> <coredns-v> <pause-v> [<coredns-build>]
# <coredns-build> names CoreDNS's cache folder: its version and the revision of the plugin set
# (infra/node/config.ts corednsBuild), so a changed plugin set is built again on a warm cache.
# Idempotent: what is already there is not rebuilt. Progress every 30 s while a build runs.
# The images of pause and CoreDNS are made by images.sh from these binaries.
set -euo pipefail

main() {
  cache="$1"
  containerd_version="$2"
  runc_version="$3"
  crictl_version="$4"
  coredns_version="$5"
  pause_version="$6"
  coredns_build="${7:-$coredns_version}"
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  gomods="$(cd "$here/../go" && pwd)"

  log() { echo "[infra] node: $*" >&2; }

  mkdir -p "$cache"
  exec 9>"$cache/.node-runtime-provision.lock"
  if ! flock -n 9; then
    log "another provision holds $cache/.node-runtime-provision.lock; waiting for it"
    flock 9
  fi
  # shellcheck source=lib/go-build.sh
  . "$here/lib/go-build.sh"

  # containerd 2.x: static Go, no cgo graph drivers (the node uses the overlayfs snapshotter).
  require_pin "$gomods/containerd" github.com/containerd/containerd/v2 "$containerd_version"
  CGO_ENABLED=0 GO_BUILD_TAGS="no_btrfs no_devmapper no_zfs" go_build "containerd $containerd_version" \
    "$gomods/containerd" "$cache/containerd-$containerd_version/bin" \
    "-s -w -X github.com/containerd/containerd/v2/version.Version=$containerd_version -X github.com/containerd/containerd/v2/version.Revision=go-module-proxy" \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr

  # runc needs cgo and libseccomp (libseccomp-dev) for the RuntimeDefault seccomp profile.
  require_pin "$gomods/runc" github.com/opencontainers/runc "$runc_version"
  if [ ! -x "$cache/runc-$runc_version/bin/runc" ] && ! pkg-config --exists libseccomp 2>/dev/null; then
    echo "node-runtime.sh: libseccomp-dev is missing (make deps installs it)" >&2
    exit 1
  fi
  CGO_ENABLED=1 GO_BUILD_TAGS="seccomp urfave_cli_no_docs" go_build "runc $runc_version" \
    "$gomods/runc" "$cache/runc-$runc_version/bin" \
    "-s -w -X main.version=${runc_version#v} -X main.gitCommit=go-module-proxy" \
    github.com/opencontainers/runc

  require_pin "$gomods/crictl" sigs.k8s.io/cri-tools "$crictl_version"
  CGO_ENABLED=0 go_build "crictl $crictl_version" "$gomods/crictl" "$cache/crictl-$crictl_version/bin" \
    "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$crictl_version" \
    sigs.k8s.io/cri-tools/cmd/crictl

  require_pin "$gomods/coredns" github.com/coredns/coredns "$coredns_version"
  CGO_ENABLED=0 go_build "coredns $coredns_build" "$gomods/coredns" "$cache/coredns-$coredns_build/bin" \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=go-module-proxy" \
    creditplatform.local/infra/coredns

  if [ ! -x "$cache/pause-$pause_version/pause" ]; then
    command -v gcc >/dev/null 2>&1 || { echo "node-runtime.sh: gcc is missing (apt-get install gcc libc6-dev)" >&2; exit 1; }
    log "compiling the pause program (gcc -static)"
    mkdir -p "$cache/pause-$pause_version"
    gcc -static -Os -Wall -Werror -o "$cache/pause-$pause_version/pause.partial.$$" "$here/../pause/pause.c"
    strip "$cache/pause-$pause_version/pause.partial.$$"
    mv -f "$cache/pause-$pause_version/pause.partial.$$" "$cache/pause-$pause_version/pause"
  fi
}

main "$@"
