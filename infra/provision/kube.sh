#!/usr/bin/env bash
# Builds the Kubernetes control plane and its client tools from the Go module proxy into the
# harness cache, one folder per version:
#   <cache>/kube-<v>/bin/{kube-apiserver,kube-controller-manager,kubectl,  (infra/go/kube)
#                        kubelet,kube-proxy,kube-scheduler}
#   <cache>/etcd-<v>/bin/etcd                                             (infra/go/etcd)
#   <cache>/helm-<v>/bin/helm                                             (infra/go/helm)
# Usage: kube.sh <cache-dir> <kube-version> <etcd-version> <helm-version>
# Idempotent: a binary set that is already there is not rebuilt. A build prints a progress line
# every 30 s (a cold kube build takes many minutes on 2 cores). Versions must match the pins in
# the wrapper modules' go.mod files, so the cache key always names what was built.
set -euo pipefail

# Everything runs inside main, which bash parses whole before running: editing this file while a
# (long) build runs cannot change what the running build does.
main() {
  cache="$1"
  kube_version="$2"
  etcd_version="$3"
  helm_version="$4"
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  gomods="$(cd "$here/../go" && pwd)"

  log() { echo "[infra] kube: $*" >&2; }

  mkdir -p "$cache"
  # One provision at a time: parallel test runs that all call infra-up wait for the first build
  # instead of compiling the same packages again on the same two cores.
  exec 9>"$cache/.kube-provision.lock"
  if ! flock -n 9; then
    log "another provision holds $cache/.kube-provision.lock; waiting for it"
    flock 9
  fi

  # shellcheck source=lib/go-build.sh
  . "$here/lib/go-build.sh"

  kube_minor="$(echo "$kube_version" | cut -d. -f2)"

  require_pin "$gomods/kube" k8s.io/kubernetes "$kube_version"
  kube_ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  done
  kube_ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  go_build "kubernetes $kube_version" "$gomods/kube" "$cache/kube-$kube_version/bin" "$kube_ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
  # The node's binaries, a separate set in the same folder: a cache made before the node existed
  # has the three above, lacks these, and builds only these.
  # Not with CREDIT_NODE=off, like the node itself.
  if [ "${CREDIT_NODE:-on}" != off ]; then
    go_build "kubernetes node $kube_version" "$gomods/kube" "$cache/kube-$kube_version/bin" "$kube_ldflags" \
      k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kube-scheduler
  fi

  require_pin "$gomods/etcd" go.etcd.io/etcd/server/v3 "$etcd_version"
  # etcd's version string is a constant in go.etcd.io/etcd/api/v3/version; no -X needed.
  go_build "etcd $etcd_version" "$gomods/etcd" "$cache/etcd-$etcd_version/bin" "-s -w" \
    creditplatform.local/infra/etcd

  require_pin "$gomods/helm" helm.sh/helm/v3 "$helm_version"
  # The same -X flags as helm's own Makefile: version, and the Kubernetes version it assumes for
  # .Capabilities and lint (derived from the client-go it is built with, v0.34 -> 1.34). Static, as
  # helm's release binaries are.
  export CGO_ENABLED=0
  helm_k8s_minor="$(cd "$gomods/helm" && go list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)"
  helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
  helm_ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$helm_k8s_minor"
  done
  go_build "helm $helm_version" "$gomods/helm" "$cache/helm-$helm_version/bin" "$helm_ldflags" \
    helm.sh/helm/v3/cmd/helm
}

main "$@"
