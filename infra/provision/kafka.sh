#!/usr/bin/env bash
# Puts the Apache Kafka broker's jars into the harness cache, resolved from Maven Central by mvn.
# Usage: kafka.sh <kafka-version> <target-dir>   (target-dir/libs receives the jars)
# Idempotent: does nothing when target-dir/.complete exists.
set -euo pipefail
version="$1"
target="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$target/.complete" ]; then exit 0; fi
command -v mvn >/dev/null 2>&1 || { echo "kafka.sh: mvn is not installed (apt-get install maven)" >&2; exit 1; }
tmp="$target.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp/libs"
echo "[infra] kafka: resolving org.apache.kafka:kafka_2.13:$version and its dependencies with mvn" >&2
# -B: batch mode; progress is one line per downloaded jar, the rest of mvn's chatter is dropped.
mvn -B -Dstyle.color=never -f "$here/kafka/pom.xml" \
  -Dkafka.version="$version" \
  dependency:copy-dependencies \
  -DincludeScope=runtime \
  -DoutputDirectory="$tmp/libs" \
  | grep --line-buffered -E '^\[(ERROR|WARNING)\]|BUILD|Total time|Downloaded from .*\.jar ' \
  | sed -u -E 's#Downloaded from [^:]+: .*/([^/]+\.jar) .*#downloaded \1#; s/^/[infra] kafka: mvn /' >&2 || true
if ! ls "$tmp/libs"/kafka_2.13-"$version".jar >/dev/null 2>&1; then
  echo "kafka.sh: mvn did not produce kafka_2.13-$version.jar (run the mvn command above by hand to see why)" >&2
  rm -rf "$tmp"
  exit 1
fi
echo "[infra] kafka: $(ls "$tmp/libs" | wc -l) jars in $target/libs" >&2
rm -rf "$target"
mv "$tmp" "$target"
touch "$target/.complete"
