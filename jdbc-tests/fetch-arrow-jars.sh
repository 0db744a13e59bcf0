#!/usr/bin/env bash
# Fetches Apache Arrow's Java Flight SQL client jars (flight-core / flight-sql 18.3.x plus grpc-java,
# netty, protobuf-java, arrow-vector/memory) and prints a Java classpath on stdout.
#
# Maven Central is not reachable from our CI, but PyPI is: the `deephaven-server` wheel bundles the
# official Apache Arrow jars. The wheel (~250 MB) is downloaded once with pip, the needed jars are
# extracted into ${TREBUCHET_CACHE:-$HOME/.cache/trebuchet}/java/deephaven-server-<version>/jars,
# and the wheel is deleted. Later runs only print the classpath.
#
# Environment:
#   TREBUCHET_CACHE            cache root (default $HOME/.cache/trebuchet)
#   DEEPHAVEN_SERVER_VERSION   wheel version to use (default 42.7 = Arrow 18.3.0, grpc-java 1.76.2)
set -euo pipefail

CACHE_ROOT="${TREBUCHET_CACHE:-$HOME/.cache/trebuchet}"
VERSION="${DEEPHAVEN_SERVER_VERSION:-42.7}"
JAVA_CACHE="$CACHE_ROOT/java"
DEST="$JAVA_CACHE/deephaven-server-$VERSION"

# Artifact names (without version) needed at run time by org.apache.arrow.flight.sql.FlightSqlClient.
# Chosen from the dependency lists in the flight-core / flight-sql / arrow-vector / arrow-memory-netty
# POMs (compile + runtime scopes) and grpc-netty's dependencies. Deliberately left out: annotation-only
# jars (value-annotations, javax.annotation-api), netty-tcnative-boringssl-static (TLS only, large),
# any SLF4J binding (SLF4J then prints a one-time "no providers" notice and stays silent).
ARTIFACTS=(
  flight-core flight-sql
  arrow-format arrow-vector arrow-memory-core arrow-memory-netty arrow-memory-netty-buffer-patch
  grpc-api grpc-context grpc-core grpc-netty grpc-protobuf grpc-protobuf-lite grpc-stub grpc-util
  netty-buffer netty-codec netty-codec-http netty-codec-http2 netty-codec-socks netty-common
  netty-handler netty-handler-proxy netty-resolver netty-transport netty-transport-native-unix-common
  protobuf-java protobuf-java-util proto-google-common-protos gson
  guava failureaccess perfmark-api
  slf4j-api jackson-core jackson-annotations jackson-databind jackson-datatype-jsr310
  commons-codec flatbuffers-java
)

log() { echo "fetch-arrow-jars: $*" >&2; }

# Prints the jar for one artifact inside directory $1 (exactly one match required).
find_jar() {
  local dir="$1" artifact="$2" matches
  # "<artifact>-<digit>..." keeps grpc-protobuf apart from grpc-protobuf-lite, etc.
  matches=$(cd "$dir" && ls -1 | grep -E "^${artifact}-[0-9][^/]*\.jar$" || true)
  if [ -z "$matches" ] || [ "$(echo "$matches" | wc -l)" -ne 1 ]; then
    log "expected exactly one jar for '$artifact' in $dir, found: ${matches:-none}"
    return 1
  fi
  echo "$dir/$matches"
}

if [ ! -f "$DEST/.complete" ]; then
  command -v python3 >/dev/null || { log "python3 is required to download the jars"; exit 1; }
  command -v unzip >/dev/null || { log "unzip is required to extract the jars"; exit 1; }
  mkdir -p "$JAVA_CACHE"
  WHEEL=$(ls -1 "$JAVA_CACHE"/deephaven_server-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$WHEEL" ]; then
    log "downloading deephaven-server==$VERSION from PyPI (~250 MB, once) into $JAVA_CACHE"
    python3 -m pip download --quiet --disable-pip-version-check --no-cache-dir --no-deps --only-binary=:all: \
      "deephaven-server==$VERSION" -d "$JAVA_CACHE" >&2
    WHEEL=$(ls -1 "$JAVA_CACHE"/deephaven_server-"$VERSION"-*.whl | head -1)
  fi
  TMP=$(mktemp -d "$JAVA_CACHE/.extract.XXXXXX")
  chmod 755 "$TMP"
  trap 'rm -rf "$TMP"' EXIT
  log "extracting jars from $(basename "$WHEEL")"
  PATTERNS=()
  for a in "${ARTIFACTS[@]}"; do PATTERNS+=("deephaven_server/jars/${a}-[0-9]*.jar"); done
  unzip -q -o -j "$WHEEL" "${PATTERNS[@]}" -d "$TMP/jars"
  for a in "${ARTIFACTS[@]}"; do find_jar "$TMP/jars" "$a" >/dev/null; done
  rm -rf "$DEST"
  mv "$TMP" "$DEST"
  trap - EXIT
  touch "$DEST/.complete"
  rm -f "$WHEEL"
  log "jars cached in $DEST/jars"
fi

CP=""
for a in "${ARTIFACTS[@]}"; do
  jar=$(find_jar "$DEST/jars" "$a")
  CP="${CP:+$CP:}$jar"
done
echo "$CP"
