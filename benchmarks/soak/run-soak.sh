#!/usr/bin/env bash
# The endurance soak (issue 13): jslirp serving a network namespace under mixed traffic for
# a long time, sampled every few seconds; fails on a leak report, an error, or fds or flows
# that keep growing.
#
#   sudo benchmarks/soak/run-soak.sh [--minutes 30] [options]     (--help lists them)
#
# The script creates a network namespace, starts the soak driver (Soak, in
# benchmarks/src/main/java/dev/jslirp/bench/soak) and jslirp --netns on it, waits for the
# driver to finish, stops jslirp and reads its log. Traffic stays on the machine: between
# the namespace and servers the driver runs on the host's 127.0.0.1 and ::1 (the DNS
# upstream jslirp is given among them). Everything it starts is stopped by PID and the
# namespace deleted, also on error or Ctrl-C. README.md beside this script explains the
# traffic, the measurements and the verdict.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# jslirp's JVM: a fixed, pre-touched heap, so that the resident set does not move with the
# heap's sizing; the leak detector at paranoid level (every buffer tracked, see README.md).
# Override with JSLIRP_JAVA_OPTS in the environment.
JSLIRP_JAVA_OPTS_DEFAULT="-Xms256m -Xmx256m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC -XX:+AlwaysPreTouch \
-XX:-UsePerfData -XX:+ExitOnOutOfMemoryError"
JSLIRP_JAVA_OPTS="${JSLIRP_JAVA_OPTS:-$JSLIRP_JAVA_OPTS_DEFAULT}"

MINUTES=30
INTERVAL=5
LEAK_LEVEL=paranoid
RUNAS=""
JAR=""
BENCH_JAR=""
OUT=""
KEEP_WORK=0
DRIVER_ARGS=()

usage() {
    cat <<EOF
Usage: sudo $0 [options] [-- driver options]

Runs jslirp --netns under mixed traffic (bulk TCP both ways, short connections, DNS, UDP,
IPv4 and IPv6, forwards added and removed) and samples its memory, descriptors and flows.
Needs root (a network namespace and its tap).

Options:
  --minutes N        traffic time (default: $MINUTES; 1 is a smoke test)
  --interval S       seconds between samples (default: $INTERVAL)
  --leak-level L     Netty's leak detector: paranoid, advanced, simple (default: $LEAK_LEVEL)
  --runas USER       run jslirp with --runas USER (it drops root once the tap is set up)
  --jar PATH         jslirp's shaded jar (default: qemu-socket-adapter/target/jslirp.jar)
  --bench-jar PATH   the benchmarks jar with the driver (default: benchmarks/target/benchmarks.jar)
                     (both built with ./mvnw when missing or older than the sources)
  --out FILE         where to write the result (default: benchmarks/soak/results/DATE.md
                     for runs of 10 minutes or more; shorter runs only print it)
  --keep-work        keep the work directory (jslirp's log, samples.csv, the driver's output)
  -h, --help         this text
After --, options for the driver (java ... Soak --help lists them), e.g. -- --bulk-rate 8
EOF
}

die() {
    echo "run-soak: $*" >&2
    exit 1
}
usage_error() {
    echo "run-soak: $*" >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --minutes) MINUTES="${2:?--minutes needs a number}"; shift 2 ;;
        --interval) INTERVAL="${2:?--interval needs seconds}"; shift 2 ;;
        --leak-level) LEAK_LEVEL="${2:?--leak-level needs a level}"; shift 2 ;;
        --runas) RUNAS="${2:?--runas needs a user}"; shift 2 ;;
        --jar) JAR="${2:?--jar needs a path}"; shift 2 ;;
        --bench-jar) BENCH_JAR="${2:?--bench-jar needs a path}"; shift 2 ;;
        --out) OUT="${2:?--out needs a file}"; shift 2 ;;
        --keep-work) KEEP_WORK=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; DRIVER_ARGS=("$@"); break ;;
        *) usage >&2; usage_error "unknown option: $1" ;;
    esac
done
[[ "$MINUTES" =~ ^[0-9]+(\.[0-9]+)?$ && "$MINUTES" != 0 ]] || usage_error "--minutes: expected a positive number, got '$MINUTES'"
[[ "$INTERVAL" =~ ^[0-9]+(\.[0-9]+)?$ && "$INTERVAL" != 0 ]] || usage_error "--interval: expected positive seconds, got '$INTERVAL'"
case "$LEAK_LEVEL" in paranoid|advanced|simple) ;; *) usage_error "--leak-level: expected paranoid, advanced or simple, got '$LEAK_LEVEL'" ;; esac
if [[ $EUID -ne 0 ]]; then
    die "needs root: it creates a network namespace and jslirp a tap in it. Run: sudo $0 $*"
fi
for tool in ip java; do
    command -v "$tool" >/dev/null || die "needs $tool (Debian: apt-get install iproute2 openjdk-17-jdk-headless)"
done

# ---- the jars --------------------------------------------------------------------------
JAR="${JAR:-$ROOT/qemu-socket-adapter/target/jslirp.jar}"
BENCH_JAR="${BENCH_JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
stale() { # true if jar $1 is missing or older than a source
    [[ ! -f "$1" ]] && return 0
    [[ -n "$(find "$ROOT" \( -name .git -o -name target -o -name .mvn \) -prune -o \
        \( -name pom.xml -o -path '*/src/main/*' \) -type f -newer "$1" -print -quit)" ]]
}
if stale "$JAR" || stale "$BENCH_JAR"; then
    echo "run-soak: building the jars" >&2
    build=(./mvnw -q -B -DskipTests -pl benchmarks,qemu-socket-adapter -am package)
    if [[ -n "${SUDO_USER:-}" && "$SUDO_USER" != root ]]; then
        build=(sudo -u "$SUDO_USER" "${build[@]}")   # keep target/ and ~/.m2 the user's
    fi
    (cd "$ROOT" && "${build[@]}") >&2 || die "building the jars failed"
fi
[[ -f "$JAR" && -f "$BENCH_JAR" ]] || die "no jar at $JAR or $BENCH_JAR"

# ---- bookkeeping: everything started is stopped by PID, the namespace deleted ---------
WORK="$(mktemp -d /tmp/jslirp-soak.XXXXXX)"
NS="jssoak$$"
DRIVER_PID=""
JSLIRP_PID=""

# stop_pid PID [SECONDS]: SIGTERM, up to SECONDS, SIGKILL.
# shellcheck source=../lib/stop-pid.sh
source "$HERE/../lib/stop-pid.sh"

cleanup() {
    [[ -n "$DRIVER_PID" ]] && stop_pid "$DRIVER_PID" 10
    [[ -n "$JSLIRP_PID" ]] && stop_pid "$JSLIRP_PID" 30
    ip netns del "$NS" 2>/dev/null
    if [[ $KEEP_WORK -eq 1 ]]; then
        echo "run-soak: work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'echo "run-soak: interrupted" >&2; exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- the run -----------------------------------------------------------------------------
STARTED="$(date '+%Y-%m-%d %H:%M')"
LOAD_BEFORE="$(loadavg)"
ip netns add "$NS" || die "ip netns add $NS failed"
ip -n "$NS" link set lo up

java -cp "$BENCH_JAR" dev.jslirp.bench.soak.Soak --work "$WORK" --netns "/run/netns/$NS" \
    --minutes "$MINUTES" --interval "$INTERVAL" "${DRIVER_ARGS[@]}" >"$WORK/driver.out" 2>&1 &
DRIVER_PID=$!
for ((i = 0; i < 600; i++)); do
    [[ -s "$WORK/dns-port" ]] && break
    kill -0 "$DRIVER_PID" 2>/dev/null || { cat "$WORK/driver.out" >&2; die "the driver exited before starting"; }
    sleep 0.1
done
[[ -s "$WORK/dns-port" ]] || die "the driver did not start its DNS upstream in 60 s"

JSLIRP_ARGS=(--netns "/run/netns/$NS" --netns-static --dns-upstream "127.0.0.1:$(cat "$WORK/dns-port")"
    --control "unix:$WORK/control.sock" --pid-file "$WORK/jslirp.pid" --log-level info)
[[ -n "$RUNAS" ]] && JSLIRP_ARGS+=(--runas "$RUNAS")
# shellcheck disable=SC2086  # the JVM options are a list
java $JSLIRP_JAVA_OPTS -Dio.netty.leakDetection.level="$LEAK_LEVEL" -jar "$JAR" "${JSLIRP_ARGS[@]}" \
    >"$WORK/jslirp.log" 2>&1 &
JSLIRP_PID=$!
echo "run-soak: jslirp pid $JSLIRP_PID, driver pid $DRIVER_PID, namespace $NS, work $WORK; $MINUTES minutes" >&2

tail -n +1 --pid="$DRIVER_PID" -f "$WORK/driver.out" &
TAIL_PID=$!
wait "$DRIVER_PID"
DRIVER_RC=$?
DRIVER_PID=""
wait "$TAIL_PID" 2>/dev/null

JSLIRP_ALIVE=1
kill -0 "$JSLIRP_PID" 2>/dev/null || JSLIRP_ALIVE=0
stop_pid "$JSLIRP_PID" 30
wait "$JSLIRP_PID" 2>/dev/null
JSLIRP_PID=""
LOAD_AFTER="$(loadavg)"

# ---- the verdict: the driver's, and what only jslirp's log shows -----------------------
FAILURES=()
[[ $DRIVER_RC -eq 0 ]] || FAILURES+=("the driver's verdict (status $DRIVER_RC)")
[[ $JSLIRP_ALIVE -eq 1 ]] || FAILURES+=("jslirp exited before the end")
LEAKS="$(grep -c 'LEAK:' "$WORK/jslirp.log")"
ERRORS="$(grep -c ' ERROR ' "$WORK/jslirp.log")"
WARNINGS="$(grep -c ' WARN ' "$WORK/jslirp.log")"
[[ $LEAKS -eq 0 ]] || FAILURES+=("$LEAKS Netty LEAK reports in jslirp's log")
[[ $ERRORS -eq 0 ]] || FAILURES+=("$ERRORS errors in jslirp's log")
grep -q 'stopped; counters' "$WORK/jslirp.log" || FAILURES+=("jslirp did not stop cleanly on SIGTERM")
VERDICT="PASS"
[[ ${#FAILURES[@]} -eq 0 ]] || VERDICT="FAIL: $(IFS=';'; echo "${FAILURES[*]}")"

RESULT="$WORK/result.md"
{
    echo "# Endurance soak, $STARTED"
    echo
    echo "\`sudo benchmarks/soak/run-soak.sh --minutes $MINUTES --interval $INTERVAL --leak-level $LEAK_LEVEL${RUNAS:+ --runas $RUNAS}${DRIVER_ARGS[*]:+ -- ${DRIVER_ARGS[*]}}\`"
    echo
    echo "- machine: $(nproc) CPUs, $(uname -r), load average $LOAD_BEFORE before, $LOAD_AFTER after (shared with other work)"
    echo "- jslirp: $(java -jar "$JAR" --version 2>/dev/null | head -n 1), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $(java -version 2>&1 | head -n 1)"
    echo "- jslirp's JVM: \`$JSLIRP_JAVA_OPTS -Dio.netty.leakDetection.level=$LEAK_LEVEL\`"
    echo "- jslirp's log: $LEAKS LEAK reports, $ERRORS errors, $WARNINGS warnings"
    echo "- verdict: **$VERDICT**"
    echo
    echo '```'
    sed -n '/^soak: [0-9.]* minutes of traffic/,$p' "$WORK/driver.out"
    echo '```'
    if [[ $WARNINGS -gt 0 || $ERRORS -gt 0 || $LEAKS -gt 0 ]]; then
        echo
        echo "jslirp's warnings, errors and leak reports (first 20 lines):"
        echo
        echo '```'
        grep -E ' WARN | ERROR |LEAK:' "$WORK/jslirp.log" | head -n 20
        echo '```'
    fi
    echo
    echo "jslirp's last log line: \`$(tail -n 1 "$WORK/jslirp.log" | cut -c1-400)\`"
} >"$RESULT"

echo
cat "$RESULT"
if [[ -z "$OUT" ]] && awk "BEGIN { exit !($MINUTES >= 10) }"; then
    OUT="$HERE/results/$(date '+%Y-%m-%d-%H%M').md"
fi
if [[ -n "$OUT" ]]; then
    mkdir -p "$(dirname "$OUT")"
    cp "$RESULT" "$OUT"
    cp "$WORK/samples.csv" "${OUT%.md}.csv"
    if [[ -n "${SUDO_USER:-}" && "$SUDO_USER" != root ]]; then
        chown "$SUDO_USER" "$OUT" "${OUT%.md}.csv"
    fi
    echo "run-soak: saved $OUT and ${OUT%.md}.csv" >&2
fi
[[ $VERDICT == PASS ]]
