#!/usr/bin/env bash
# Builds prometheus-operator and its config reloader from the Go module proxy into the harness
# cache, one folder per version:
#   <cache>/prometheus-operator-<v>/bin/{operator,prometheus-config-reloader}   (infra/go/prometheus-operator)
#   <cache>/prometheus-<pv>/bin/prometheus                                      (infra/go/prometheus)
# with the version ldflags its release sets (github.com/prometheus/common/version). The node runs
# them as pods (images made by images.sh) so the chart's ServiceMonitors and PrometheusRules become a
# real Prometheus configuration.
# Prometheus itself is built too: Debian's prometheus (2.42, the harness's own) is built without
# Kubernetes service discovery, which every configuration the operator writes for a ServiceMonitor needs.
# Usage: prometheus-operator.sh <cache-dir> <version> <prometheus-version>
# Idempotent: what is already there is not rebuilt. Progress every 30 s while the build runs.
set -euo pipefail

main() {
  cache="$1"
  version="$2"
  prometheus_version="$3"
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  gomods="$(cd "$here/../go" && pwd)"
  log() { echo "[infra] prometheus-operator: $*" >&2; }

  mkdir -p "$cache"
  exec 9>"$cache/.prometheus-operator-provision.lock"
  if ! flock -n 9; then
    log "another provision holds $cache/.prometheus-operator-provision.lock; waiting for it"
    flock 9
  fi
  # shellcheck source=lib/go-build.sh
  . "$here/lib/go-build.sh"

  require_pin "$gomods/prometheus-operator" github.com/prometheus-operator/prometheus-operator "$version"
  local v="github.com/prometheus/common/version"
  CGO_ENABLED=0 go_build "prometheus-operator $version" "$gomods/prometheus-operator" \
    "$cache/prometheus-operator-$version/bin" \
    "-s -w -X $v.Version=${version#v} -X $v.Revision=go-module-proxy -X $v.Branch=${version} -X $v.BuildUser=credit-platform" \
    github.com/prometheus-operator/prometheus-operator/cmd/operator \
    github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader

  # Prometheus 3.x is tagged v0.3XX.Y on the module proxy (v0.305.0 = 3.5.0).
  local pmod="v0.$(echo "${prometheus_version#v}" | awk -F. '{ printf "%d%02d.%d", $1, $2, $3 }')"
  require_pin "$gomods/prometheus" github.com/prometheus/prometheus "$pmod"
  CGO_ENABLED=0 go_build "prometheus $prometheus_version" "$gomods/prometheus" "$cache/prometheus-$prometheus_version/bin" \
    "-s -w -X $v.Version=${prometheus_version#v} -X $v.Revision=go-module-proxy -X $v.Branch=$pmod -X $v.BuildUser=credit-platform" \
    github.com/prometheus/prometheus/cmd/prometheus

  # The CRDs and cluster roles of the same release, from the module's example/ folder.
  local manifests="$cache/prometheus-operator-$version/manifests"
  if [ ! -e "$manifests/.complete" ]; then
    local dir
    dir="$(cd "$gomods/prometheus-operator" && go list -m -f '{{.Dir}}' github.com/prometheus-operator/prometheus-operator)"
    rm -rf "$manifests"
    mkdir -p "$manifests/crds" "$manifests/rbac"
    cp "$dir"/example/prometheus-operator-crd/*.yaml "$manifests/crds/"
    cp "$dir/example/rbac/prometheus-operator/prometheus-operator-cluster-role.yaml" \
      "$dir/example/rbac/prometheus/prometheus-cluster-role.yaml" "$manifests/rbac/"
    chmod -R u+w "$manifests"
    touch "$manifests/.complete"
    log "CRDs and cluster roles of $version -> $manifests"
  fi
}

main "$@"
