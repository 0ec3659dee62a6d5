#!/usr/bin/env bash
# Regenerates the third-party CRDs the operator's tests install (test/fixtures/crds/), from the
# projects' published API types, with the generators those projects use themselves:
#   - prometheus-operator: controller-gen (sigs.k8s.io/controller-tools) over the Go module
#     github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring (pinned in
#     infra/go/crdgen/go.mod), as its Makefile's generate-crds target does (crd:crdVersions=v1).
#   - Strimzi: io.strimzi:crd-generator over the io.strimzi:api classes from Maven Central (pinned in
#     infra/provision/thirdparty-crds/pom.xml), with the arguments of Strimzi's own api/pom.xml.
# Usage: infra/provision/thirdparty-crds.sh   (needs go, mvn, java; writes test/fixtures/crds/*.yaml)
# The generated files are committed; run this after changing a version and commit the result.
set -euo pipefail

main() {
  local here repo cache out tmp
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  repo="$(cd "$here/../.." && pwd)"
  cache="${CREDIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/credit-platform}"
  out="$repo/test/fixtures/crds"
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $tmp is local to main
  trap "rm -rf '$tmp'" EXIT

  local crdgen="$repo/infra/go/crdgen"
  local monitoring=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
  local po_version ct_version strimzi_version
  po_version="$(cd "$crdgen" && go list -m -f '{{.Version}}' "$monitoring")"
  ct_version="$(cd "$crdgen" && go list -m -f '{{.Version}}' sigs.k8s.io/controller-tools)"
  strimzi_version="$(sed -n 's:.*<strimzi.version>\(.*\)</strimzi.version>.*:\1:p' "$here/thirdparty-crds/pom.xml")"

  # controller-gen, built once per version into the harness cache.
  local cg="$cache/controller-gen-$ct_version/bin/controller-gen"
  if [ ! -x "$cg" ]; then
    log "building controller-gen $ct_version"
    mkdir -p "$(dirname "$cg")"
    (cd "$crdgen" && go build -buildvcs=false -o "$cg.partial" sigs.k8s.io/controller-tools/cmd/controller-gen)
    mv -f "$cg.partial" "$cg"
  fi

  log "prometheus-operator $po_version: controller-gen $ct_version crd:crdVersions=v1"
  (cd "$crdgen" && "$cg" crd:crdVersions=v1 "paths=$monitoring/v1" "output:crd:dir=$tmp/monitoring")
  local plural
  for plural in servicemonitors podmonitors prometheusrules; do
    # The release manifests carry the operator version as an annotation next to controller-gen's.
    sed -i "s|^    controller-gen.kubebuilder.io/version: .*|&\\n    operator.prometheus.io/version: ${po_version#v}|" \
      "$tmp/monitoring/monitoring.coreos.com_$plural.yaml"
    emit "$tmp/monitoring/monitoring.coreos.com_$plural.yaml" "$out/monitoring.coreos.com_$plural.yaml" \
      "prometheus-operator $po_version API types ($monitoring/v1), controller-gen $ct_version"
  done

  # Strimzi: the API classes and the generator, resolved by mvn once per version.
  local libs="$cache/strimzi-crd-generator-$strimzi_version/libs"
  if [ ! -f "$libs/.complete" ]; then
    log "resolving io.strimzi:api and io.strimzi:crd-generator $strimzi_version with mvn"
    rm -rf "$libs"
    if ! mvn -B -Dstyle.color=never -f "$here/thirdparty-crds/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" >"$tmp/mvn.log" 2>&1; then
      cat "$tmp/mvn.log" >&2
      echo "thirdparty-crds.sh: mvn could not resolve Strimzi $strimzi_version (log above)" >&2
      exit 1
    fi
    touch "$libs/.complete"
  fi
  local strimzi_common=(
    -cp "$libs/*" io.strimzi.crdgenerator.CrdGenerator
    --label app:strimzi --label strimzi.io/crd-install:true
    --target-kube 1.16+ --crd-api-version v1
  )
  log "Strimzi $strimzi_version: io.strimzi.crdgenerator.CrdGenerator"
  # Same groups of arguments as Strimzi's api/pom.xml executions generate-crd-co-install-v1 and
  # generate-crd-co-install-v1-eo (KafkaTopic keeps its older served versions there).
  java "${strimzi_common[@]}" --api-versions v1beta2 --storage-version v1beta2 --yaml \
    "io.strimzi.api.kafka.model.kafka.Kafka=$tmp/kafkas.yaml" \
    "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$tmp/kafkanodepools.yaml" 2> >(grep -v '^SLF4J' >&2)
  java "${strimzi_common[@]}" --api-versions v1alpha1,v1beta1,v1beta2 --storage-version v1beta2 --yaml \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$tmp/kafkatopics.yaml" 2> >(grep -v '^SLF4J' >&2)
  for plural in kafkas kafkanodepools kafkatopics; do
    emit "$tmp/$plural.yaml" "$out/kafka.strimzi.io_$plural.yaml" \
      "Strimzi $strimzi_version API classes (Maven Central io.strimzi:api), io.strimzi:crd-generator $strimzi_version"
  done
  log "wrote $(ls "$out"/*.yaml | wc -l) CRDs to $out"
}

log() { echo "[thirdparty-crds] $*" >&2; }

# emit <generated> <target> <source>: the generated CRD with a header saying where it comes from.
emit() {
  [ -s "$1" ] || { echo "thirdparty-crds.sh: the generator did not write $1" >&2; exit 1; }
  {
    echo "# Generated by infra/provision/thirdparty-crds.sh from $3. Do not edit."
    # Generators may start with a document separator; one header line is enough.
    sed '1{/^---$/d}' "$1"
  } >"$2"
}

main "$@"
