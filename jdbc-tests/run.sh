#!/usr/bin/env bash
# JDBC-path tests for the Trebuchet Flight SQL server.
#
#  1. FlightSqlClientReplay (always): Apache Arrow's Java FlightSqlClient 18.3 replays the call
#     pattern of the Arrow Flight SQL JDBC driver. Jars come from PyPI (see fetch-arrow-jars.sh).
#  2. JUnit 5 tests through the real Arrow Flight SQL JDBC driver (always): Maven project pom.xml,
#     tests in src/test/java/trebuchet/jdbc; the driver comes from Maven Central.
#
# The script starts its own server:
#   $TREBUCHET_BIN standalone --host 127.0.0.1 --port 0 --user alice:secret
# learns the port from the server log (a line containing grpc://127.0.0.1:PORT), runs the tests,
# stops the server, and exits non-zero if anything failed.
#
# Environment:
#   TREBUCHET_BIN     server binary (default ${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}/debug/trebuchet)
#   TREBUCHET_CACHE   cache root for jars and compiled classes (default $HOME/.cache/trebuchet)
#   JDBC_DRIVER_VERSION  org.apache.arrow:flight-sql-jdbc-driver version for the Maven tests (default 18.3.0)
#   MVN               Maven launcher (default: mvn on PATH)
#   STARTUP_TIMEOUT   seconds to wait for the server's listen line (default 60)
#   JAVA              java launcher (default: java on PATH); javac is taken from the same place
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${TREBUCHET_CACHE:-$HOME/.cache/trebuchet}"
TREBUCHET_BIN="${TREBUCHET_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}/debug/trebuchet}"
STARTUP_TIMEOUT="${STARTUP_TIMEOUT:-60}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"
JDBC_DRIVER_VERSION="${JDBC_DRIVER_VERSION:-18.3.0}"
JAVAC="${JAVAC:-$(dirname "$(command -v "$JAVA" || echo java)")/javac}"
JVM_FLAGS=(--add-opens=java.base/java.nio=ALL-UNNAMED)
USER_NAME=alice
USER_PASSWORD=secret

say() { echo "jdbc-tests: $*"; }
die() { echo "jdbc-tests: ERROR: $*" >&2; exit 1; }

# --- prerequisites -------------------------------------------------------------------------------
command -v "$JAVA" >/dev/null || die "java not found (Java 17+ required)"
[ -x "$JAVAC" ] || JAVAC="$(command -v javac || true)"
[ -n "$JAVAC" ] && [ -x "$JAVAC" ] || die "javac not found (a JDK 17+ is required, not just a JRE)"
JAVA_MAJOR=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${JAVA_MAJOR%%.*}" -ge 17 ] 2>/dev/null || die "Java 17+ required, found '${JAVA_MAJOR:-unknown}'"
command -v "$MVN" >/dev/null || die "mvn not found (Maven 3.6+ runs the JDBC driver tests)"
[ -x "$TREBUCHET_BIN" ] || die "server binary not found or not executable: $TREBUCHET_BIN (build it with 'cargo build', or set TREBUCHET_BIN)"

# --- jars + compile ------------------------------------------------------------------------------
ARROW_CP="$("$HERE/fetch-arrow-jars.sh")" || die "could not obtain the Arrow Flight SQL Java jars"
SOURCES=("$HERE"/src/main/java/trebuchet/jdbctests/*.java)
SRC_HASH=$( (cat "${SOURCES[@]}"; echo "$ARROW_CP"; "$JAVAC" -version 2>&1) | sha256sum | cut -c1-16)
CLASSES="$CACHE_ROOT/java/classes-$SRC_HASH"
if [ ! -f "$CLASSES/.complete" ]; then
  say "compiling ${#SOURCES[@]} Java sources into $CLASSES"
  rm -rf "$CLASSES"
  mkdir -p "$CLASSES"
  # -nowarn + filter: the Arrow jars reference annotation classes we do not ship (harmless 'KeyFor' notes).
  "$JAVAC" -nowarn -encoding UTF-8 --release 17 -d "$CLASSES" -cp "$ARROW_CP" "${SOURCES[@]}" 2>&1 \
    | grep -v -e 'KeyFor' -e '^[0-9]* warning' || true
  [ -f "$CLASSES/trebuchet/jdbctests/FlightSqlClientReplay.class" ] || die "javac failed"
  touch "$CLASSES/.complete"
  # drop classes compiled from older sources
  for old in "$CACHE_ROOT"/java/classes-*; do
    [ "$old" = "$CLASSES" ] || rm -rf "$old"
  done
fi

# --- server --------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trebuchet-jdbc-tests.XXXXXX")"
LOG="$WORK/server.log"
SERVER_PID=""
KEEP_LOG=0

cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    # wait up to ~10 s for a clean exit, then force
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] || [ "$KEEP_LOG" -ne 0 ]; then
    if [ -s "$LOG" ]; then
      echo "---- last 40 lines of the server log ($LOG) ----"
      tail -n 40 "$LOG"
      echo "----"
    fi
    say "server log kept in $LOG"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting $TREBUCHET_BIN standalone --host 127.0.0.1 --port 0 --user $USER_NAME:***"
# stdout and stderr both go to the log: whichever the listen line is written to, we see it.
"$TREBUCHET_BIN" standalone --host 127.0.0.1 --port 0 --user "$USER_NAME:$USER_PASSWORD" >"$LOG" 2>&1 &
SERVER_PID=$!

PORT=""
DEADLINE=$(( $(date +%s) + STARTUP_TIMEOUT ))
while :; do
  # strip ANSI colour codes before matching; port 0 is never the real one
  PORT=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -o 'grpc://127\.0\.0\.1:[1-9][0-9]*' | head -n 1 | sed 's/.*://' || true)
  [ -n "$PORT" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    wait "$SERVER_PID" && rc=0 || rc=$?
    SERVER_PID=""
    die "server exited (status $rc) before logging grpc://127.0.0.1:PORT"
  fi
  [ "$(date +%s)" -lt "$DEADLINE" ] || die "no 'grpc://127.0.0.1:PORT' line in the server log after ${STARTUP_TIMEOUT}s"
  sleep 0.1
done
say "server pid $SERVER_PID listening on 127.0.0.1:$PORT"

# --- tests ---------------------------------------------------------------------------------------
FAILED=()

say "running FlightSqlClientReplay (Arrow Java FlightSqlClient 18.3, JDBC call pattern)"
if timeout 900 "$JAVA" "${JVM_FLAGS[@]}" -cp "$CLASSES:$ARROW_CP" \
    trebuchet.jdbctests.FlightSqlClientReplay 127.0.0.1 "$PORT" "$USER_NAME" "$USER_PASSWORD"; then
  :
else
  FAILED+=("FlightSqlClientReplay (exit $?)")
fi

URL="jdbc:arrow-flight-sql://127.0.0.1:$PORT/?useEncryption=false"
MAVEN_TARGET="$CACHE_ROOT/java/maven-jdbc-tests"
say "running the JUnit tests through Arrow Flight SQL JDBC driver $JDBC_DRIVER_VERSION (mvn test)"
# JAVA_HOME from $JAVA, so Maven runs the same JDK the prerequisites checked.
JAVA_HOME_FOR_MVN="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")}"
rm -rf "$MAVEN_TARGET/surefire-reports"
if JAVA_HOME="$JAVA_HOME_FOR_MVN" timeout 900 "$MVN" -B -q -f "$HERE/pom.xml" test \
    "-Dtrebuchet.url=$URL" "-Dtrebuchet.user=$USER_NAME" "-Dtrebuchet.password=$USER_PASSWORD" \
    "-Djdbc.driver.version=$JDBC_DRIVER_VERSION" "-Dtrebuchet.build.dir=$MAVEN_TARGET"; then
  MVN_RC=0
else
  MVN_RC=$?
fi
# -q hides surefire's summary; add up its XML reports instead.
if compgen -G "$MAVEN_TARGET/surefire-reports/TEST-*.xml" >/dev/null; then
  for report in "$MAVEN_TARGET"/surefire-reports/TEST-*.xml; do
    head -n 3 "$report" | grep -o '<testsuite [^>]*>' | head -n 1
  done | awk -v v="$JDBC_DRIVER_VERSION" '
      function attr(name,   m) { return match($0, name "=\"[0-9]+\"") ? substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3) : 0 }
      { t += attr("tests"); f += attr("failures"); e += attr("errors"); s += attr("skipped") }
      END { printf "jdbc-tests: JDBC driver %s: %d tests, %d passed, %d failed, %d errors, %d skipped (@Disabled)\n", v, t, t - f - e - s, f, e, s }'
fi
[ "$MVN_RC" -eq 0 ] || FAILED+=("JUnit tests with JDBC driver $JDBC_DRIVER_VERSION (mvn exit $MVN_RC)")

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  FAILED+=("server process died during the tests")
  SERVER_PID=""
fi

if [ "${#FAILED[@]}" -ne 0 ]; then
  KEEP_LOG=1
  say "FAILED: ${FAILED[*]}"
  exit 1
fi
say "all JDBC-path tests passed"
