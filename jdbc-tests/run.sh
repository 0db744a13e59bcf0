#!/usr/bin/env bash
# JDBC-path tests for the Trebuchet Flight SQL server.
#
#  1. FlightSqlClientReplay (always): Apache Arrow's Java FlightSqlClient 18.3 replays the call
#     pattern of the Arrow Flight SQL JDBC driver. Jars come from PyPI (see fetch-arrow-jars.sh).
#  2. JdbcSmokeTest (only when JDBC_DRIVER_JAR points at the Arrow Flight SQL JDBC driver jar).
#
# The script starts its own server:
#   $TREBUCHET_BIN standalone --host 127.0.0.1 --port 0 --user alice:secret
# learns the port from the server log (a line containing grpc://127.0.0.1:PORT), runs the tests,
# stops the server, and exits non-zero if anything failed.
#
# Environment:
#   TREBUCHET_BIN     server binary (default ${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}/debug/trebuchet)
#   TREBUCHET_CACHE   cache root for jars and compiled classes (default $HOME/.cache/trebuchet)
#   JDBC_DRIVER_JAR   Arrow Flight SQL JDBC driver jar (flight-sql-jdbc-driver-<v>.jar); may also be
#                     a ':'-separated classpath
#   STARTUP_TIMEOUT   seconds to wait for the server's listen line (default 60)
#   JAVA              java launcher (default: java on PATH); javac is taken from the same place
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${TREBUCHET_CACHE:-$HOME/.cache/trebuchet}"
TREBUCHET_BIN="${TREBUCHET_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}/debug/trebuchet}"
STARTUP_TIMEOUT="${STARTUP_TIMEOUT:-60}"
JAVA="${JAVA:-java}"
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
[ -x "$TREBUCHET_BIN" ] || die "server binary not found or not executable: $TREBUCHET_BIN (build it with 'cargo build', or set TREBUCHET_BIN)"

JDBC_CP=""
if [ -n "${JDBC_DRIVER_JAR:-}" ]; then
  IFS=: read -r -a JARS <<<"$JDBC_DRIVER_JAR"
  for j in "${JARS[@]}"; do
    [ -f "$j" ] || die "JDBC_DRIVER_JAR entry does not exist: $j"
  done
  JDBC_CP="$JDBC_DRIVER_JAR"
fi

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

if [ -z "$JDBC_CP" ]; then
  echo "JDBC driver tests skipped: JDBC_DRIVER_JAR is not set (the Arrow Flight SQL JDBC driver jar is not on any registry this CI can reach; see jdbc-tests/README.md)"
else
  URL="jdbc:arrow-flight-sql://127.0.0.1:$PORT/?useEncryption=false&user=$USER_NAME&password=$USER_PASSWORD"
  say "running JdbcSmokeTest with $JDBC_DRIVER_JAR"
  if timeout 900 "$JAVA" "${JVM_FLAGS[@]}" -cp "$CLASSES:$JDBC_CP" \
      trebuchet.jdbctests.JdbcSmokeTest "$URL"; then
    :
  else
    FAILED+=("JdbcSmokeTest (exit $?)")
  fi
fi

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
