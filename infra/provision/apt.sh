#!/usr/bin/env bash
# Installs the Debian packages the local harness runs: PostgreSQL and Prometheus servers, and
# Java 17 + Maven for Kafka, and Chromium for the page tests; for the node: iptables, conntrack,
# the CNI plugins, libseccomp (runc's build), gcc (the pause program), buildah and mmdebstrap (images).
# Idempotent: does nothing when they are present.
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# Kafka runs on Java 17 with jars resolved by Maven (infra/provision/kafka.sh).
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
# Headless browser for the analysts' page tests (driven by playwright-core with executablePath).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The node (infra/components/node.ts), unless CREDIT_NODE=off.
if [ "${CREDIT_NODE:-on}" != off ]; then
  command -v iptables >/dev/null 2>&1 || need+=(iptables)
  command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
  command -v nft >/dev/null 2>&1 || need+=(nftables)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  [ -e /usr/include/seccomp.h ] || need+=(libseccomp-dev)
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
  command -v buildah >/dev/null 2>&1 || need+=(buildah)
  command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "[deps] apt-get install ${need[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
