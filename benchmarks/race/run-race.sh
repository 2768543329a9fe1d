#!/usr/bin/env bash
# The peer race: jslirp against slirp4netns, pasta and passt, same machine, same run.
#
#   sudo benchmarks/race/run-race.sh [--runs N] [--quick] [options]   (--help lists them)
#
# For each run, MTU and backend, the script creates two network namespaces: a "host"
# (loopback + a veth pair that leads nowhere) and a "guest" whose kernel TCP stack is
# served by the backend through a tap device. It measures with iperf3 and racetool
# (src/racetool.c), then tears both down. Every process it starts is stopped by its PID
# and both namespaces are deleted, also on error or Ctrl-C. Traffic stays between the
# two namespaces: the host namespace has no link to the outside world.
#
# README.md beside this script explains the rows, the wiring and the caveats.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# ---- jslirp invocations: adjust here when the CLI changes ---------------------------
# JVM flags for a network daemon (README.md, "jslirp's JVM flags"). Override with
# JSLIRP_JAVA_OPTS in the environment.
JSLIRP_JAVA_OPTS_DEFAULT="-Xms128m -Xmx128m -XX:MaxDirectMemorySize=512m -XX:+UseSerialGC \
-XX:+AlwaysPreTouch -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError -Dio.netty.leakDetection.level=disabled"
JSLIRP_JAVA_OPTS="${JSLIRP_JAVA_OPTS:-$JSLIRP_JAVA_OPTS_DEFAULT}"

# Options every jslirp gets: $1 = MTU, $2 = the trial's family (4 or 6). Sets JSLIRP_ARGS.
jslirp_common_args() {
    # Log level info: at exit jslirp logs its counters (drops, queue limits, TCP
    # retransmissions), kept with --keep-work in the backend's log. Nothing on the data
    # path logs at info.
    JSLIRP_ARGS=(--mtu "$1" --log-level info --dns-upstream 127.0.0.1)
    # JSLIRP_EXTRA_ARGS (environment, split on spaces): more options for every jslirp,
    # e.g. "--tap-offload off" to race a build against itself with a feature off.
    if [[ -n ${JSLIRP_EXTRA_ARGS:-} ]]; then
        read -r -a extra <<< "$JSLIRP_EXTRA_ARGS"
        JSLIRP_ARGS+=("${extra[@]}")
    fi
    if [[ $2 == 6 ]]; then
        JSLIRP_ARGS+=(--hostfwd "tcp:[$HOST6_ADDR]:$FWD_TCP-[$GUEST6_ADDR]:$GUEST_TCP")
    else
        JSLIRP_ARGS+=(--hostfwd "tcp:$HOST_ADDR:$FWD_TCP-:$GUEST_TCP"
            --hostfwd "udp:$HOST_ADDR:$FWD_UDP-:$GUEST_UDP")
    fi
}
# Namespace mode, as slirp4netns: $1 = guest namespace name, $2 = tap name to create
# there. --netns-static: jslirp gives the tap 10.0.2.15/24 and the default route itself
# (and, where the namespace has IPv6, fec0::15/64 and a default route via fe80::2).
jslirp_netns_args() {
    JSLIRP_ARGS+=(--netns "/run/netns/$1" --netns-ifname "$2" --netns-static)
}
# QEMU stream mode, the relay connects to it: $1 = unix socket path.
jslirp_stream_args() {
    JSLIRP_ARGS+=(--listen "unix:$1")
}
# --------------------------------------------------------------------------------------

ALL_BACKENDS="slirp4netns,pasta,jslirp-netns,passt-relay,jslirp-relay"
ALL_TESTS="tcp,rr,crr,udp,tcp6"
TESTS="$ALL_TESTS"
RUNS=3
DURATION=5
MTUS="1500,65520"
BACKENDS="$ALL_BACKENDS"
UDP_RATE="1G"
RR_SIZE=1
JAR=""
OUT=""
KEEP_WORK=0
QUICK=0
TXQUEUELEN=""
FAMILY=4                      # of the trial running: 4, or 6 for tcp6's own trials

# Addresses and ports. The host namespace's services listen on its 127.0.0.1, reached
# from the guest through each backend's host-loopback mapping of the gateway address;
# forwards into the guest listen on HOST_ADDR, a non-loopback address, so that pasta
# carries them through its tap like the others instead of splicing loopback to loopback.
GATEWAY=10.0.2.2
GUEST_ADDR=10.0.2.15          # slirp4netns --configure uses 10.0.2.100 (its fixed choice)
HOST_ADDR=198.18.0.1          # RFC 2544 benchmarking range, only inside the host namespace
IPERF_PORT=5201               # iperf3 server in the host namespace (127.0.0.1)
ECHO_PORT=7001                # racetool echo server (127.0.0.1), request/response
ONCE_PORT=7002                # racetool answer-once-and-close server (127.0.0.1)
UDP_PORT=7003                 # racetool udp-recv in the host namespace (127.0.0.1)
GUEST_TCP=5201                # iperf3 server in the guest
GUEST_UDP=7003                # udp-recv in the guest
FWD_TCP=6201                  # HOST_ADDR:6201 -> guest:5201
FWD_UDP=6203                  # HOST_ADDR:6203 -> guest:7003
TAP=tap0
# IPv6 trials (tcp6): the host namespace's address for forwards, in RFC 5180's
# benchmarking range, and its default route, which leads nowhere; the guest's address
# and the host address it reaches (slirp4netns: fd00::2, its fixed prefix, and the
# guest's address is the kernel's by SLAAC).
HOST6_ADDR=2001:2::1
HOST6_GW=2001:2::fe
GUEST6_ADDR=fec0::15          # what jslirp --netns-static gives; given to pasta, passt and the relays
GATEWAY6=fec0::2

usage() {
    cat <<EOF
Usage: sudo $0 [options]

Races jslirp against slirp4netns, pasta and passt: network namespaces served by each
backend, measured with iperf3 and racetool. Needs root (network namespaces, tap devices).

Options:
  --runs N          runs per measurement; the table shows medians (default: $RUNS)
  --quick           1 run, 2-second measurements: checks the pipeline in a few minutes
  --time S          seconds per measurement (default: $DURATION)
  --mtu LIST        MTUs to test, comma-separated (default: $MTUS)
  --backends LIST   any of $ALL_BACKENDS
                    (default: all)
  --tests LIST      any of $ALL_TESTS: TCP throughput (with CPU per GB),
                    request/response, connections, UDP, TCP throughput over IPv6
                    (its own trials, with IPv6 on in the guest; default: all; the
                    rows of the others read "not run")
  --udp-rate RATE   offered UDP rate, bits/s with K/M/G suffix (default: $UDP_RATE)
  --rr-size BYTES   request/response message size (default: $RR_SIZE)
  --jar PATH        jslirp's shaded jar (default: qemu-socket-adapter/target/jslirp.jar,
                    built with ./mvnw when missing or older than the sources)
  --out FILE        where to save the table (default: benchmarks/race/results/DATE.md)
  --txqueuelen N    the guest tap's queue length for every backend (default: as the
                    backend leaves it, the kernel's 1000); see README.md
  --keep-work       keep the work directory (backend logs, raw results)
  -h, --help        this text
EOF
}

die() {
    echo "run-race: $*" >&2
    exit 1
}

ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --time) DURATION="${2:?--time needs seconds}"; shift 2 ;;
        --mtu|--mtus) MTUS="${2:?--mtu needs a list}"; shift 2 ;;
        --backends) BACKENDS="${2:?--backends needs a list}"; shift 2 ;;
        --tests) TESTS="${2:?--tests needs a list}"; shift 2 ;;
        --udp-rate) UDP_RATE="${2:?--udp-rate needs a rate}"; shift 2 ;;
        --rr-size) RR_SIZE="${2:?--rr-size needs a size}"; shift 2 ;;
        --jar) JAR="${2:?--jar needs a path}"; shift 2 ;;
        --out) OUT="${2:?--out needs a file}"; shift 2 ;;
        --keep-work) KEEP_WORK=1; shift ;;
        --txqueuelen) TXQUEUELEN="${2:?--txqueuelen needs a number}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
if [[ $QUICK -eq 1 ]]; then
    RUNS=1
    DURATION=2
fi
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs: expected a positive number, got '$RUNS'"
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "--time: expected whole seconds, got '$DURATION'"
[[ "$RR_SIZE" =~ ^[1-9][0-9]*$ && "$RR_SIZE" -le 65536 ]] || die "--rr-size: expected 1..65536, got '$RR_SIZE'"
[[ -z "$TXQUEUELEN" || "$TXQUEUELEN" =~ ^[1-9][0-9]*$ ]] || die "--txqueuelen: expected a positive number, got '$TXQUEUELEN'"
for m in ${MTUS//,/ }; do
    [[ "$m" =~ ^[0-9]+$ && "$m" -ge 576 && "$m" -le 65520 ]] || die "--mtu: expected 576..65520, got '$m'"
done
for b in ${BACKENDS//,/ }; do
    [[ ",$ALL_BACKENDS," == *",$b,"* ]] || die "--backends: unknown backend '$b' (expected some of $ALL_BACKENDS)"
done
for t in ${TESTS//,/ }; do
    [[ ",$ALL_TESTS," == *",$t,"* ]] || die "--tests: unknown test '$t' (expected some of $ALL_TESTS)"
done
testing() { [[ ",$TESTS," == *",$1,"* ]]; }
udp_rate_bits() {
    local r="$1" n mult=1
    case "$r" in
        *[kK]) mult=1000; n="${r%?}" ;;
        *[mM]) mult=1000000; n="${r%?}" ;;
        *[gG]) mult=1000000000; n="${r%?}" ;;
        *) n="$r" ;;
    esac
    [[ "$n" =~ ^[0-9]+$ ]] || return 1
    echo $((n * mult))
}
UDP_BITS="$(udp_rate_bits "$UDP_RATE")" || die "--udp-rate: expected e.g. 500M or 1G, got '$UDP_RATE'"

if [[ $EUID -ne 0 ]]; then
    die "needs root: it creates network namespaces and tap devices. Run: sudo $0 ${ORIG_ARGS[*]}"
fi
for tool in ip iperf3 gcc jq ss; do
    command -v "$tool" >/dev/null || die "needs $tool (Debian: apt-get install iproute2 iperf3 gcc jq)"
done

# ---- bookkeeping: everything started is stopped by PID, every namespace deleted -----

WORK="$(mktemp -d /tmp/jslirp-race.XXXXXX)"
RAW="$WORK/raw.tsv"
NS_HOST="jsrace$$h"
NS_GUEST="jsrace$$g"
TRIAL_PIDS=()
CLK_TCK="$(getconf CLK_TCK)"

# stop_pid PID: SIGTERM, 3 s, SIGKILL.
# shellcheck source=../lib/stop-pid.sh
source "$HERE/../lib/stop-pid.sh"

teardown_trial() {
    local pid
    for pid in "${TRIAL_PIDS[@]}"; do
        stop_pid "$pid"
    done
    TRIAL_PIDS=()
    ip netns del "$NS_GUEST" 2>/dev/null
    ip netns del "$NS_HOST" 2>/dev/null
    rm -f "$WORK"/*.sock "$WORK"/*.api
    return 0
}

cleanup() {
    teardown_trial
    if [[ $KEEP_WORK -eq 1 ]]; then
        echo "run-race: work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'echo "run-race: interrupted" >&2; exit 130' INT TERM

# Starts "$@" in the background with output to $LOG_DIR/$1.log; its PID goes in
# TRIAL_PIDS and in BG_PID. $1 is a label, the rest the command.
start_bg() {
    local label="$1"
    shift
    "$@" >"$LOG_DIR/$label.log" 2>&1 &
    BG_PID=$!
    TRIAL_PIDS+=("$BG_PID")
}

# utime + stime of a whole process (all threads), in clock ticks.
cpu_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
    stat="${stat##*) }"   # the command name may hold spaces: cut after its closing paren
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13}))
}

last_line() {
    grep -v '^\s*$' "$1" 2>/dev/null | tail -n 1 | cut -c1-300
}

# wait_for WHAT TENTHS PID LABEL COMMAND...: polls COMMAND every 0.1 s for up to TENTHS
# tenths of a second; gives up early when process PID (- for none) has exited, quoting
# the last line of $LOG_DIR/LABEL.log. Sets START_ERROR on failure.
wait_for() {
    local what="$1" tries="$2" pid="$3" label="$4"
    shift 4
    local i
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [[ "$pid" != - ]] && ! kill -0 "$pid" 2>/dev/null; then
            START_ERROR="$label exited while waiting for $what: $(last_line "$LOG_DIR/$label.log")"
            return 1
        fi
        sleep 0.1
    done
    START_ERROR="timed out waiting for $what"
    return 1
}

guest_has_tap() { ip -n "$NS_GUEST" link show "$TAP"; }
guest_has_addr() { ip -n "$NS_GUEST" -4 addr show dev "$TAP" | grep -q 'inet '; }
# An IPv6 address other than link-local, past duplicate address detection.
guest_has_addr6() { ip -n "$NS_GUEST" -6 -o addr show dev "$TAP" | grep -v ' fe80:' | grep -v tentative | grep -q inet6; }
listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN; }
has_line() { grep -q "$2" "$1"; }

record() { # metric value [note]
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$RUN" "$MTU" "$BACKEND" "$1" "$2" "${3:-}" >>"$RAW"
}
record_fail() { # metric reason
    local why
    why="$(echo "$2" | tr '\t\n' '  ' | sed 's/ (see jslirp --help)//; s/[[:space:]]*$//' | cut -c1-300)"
    record "$1" FAIL "$why"
}

METRICS_TCP="tcp_g2h_1 tcp_g2h_4 tcp_h2g_1 tcp_h2g_4 rr crr"
METRICS_CPU="cpu_g2h_backend cpu_g2h_relay cpu_g2h_total cpu_h2g_backend cpu_h2g_relay cpu_h2g_total"
METRICS_UDP="udp_g2h_rate udp_g2h_loss udp_h2g_rate udp_h2g_loss"
METRICS_TCP6="tcp6_g2h_1 tcp6_g2h_4 tcp6_h2g_1 tcp6_h2g_4"

# ---- set-up -------------------------------------------------------------------------

BIN="$WORK/bin"
mkdir -p "$BIN"
gcc -O2 -Wall -pthread -o "$BIN/tap-relay" "$HERE/src/tap-relay.c" || die "cannot compile src/tap-relay.c"
gcc -O2 -Wall -o "$BIN/racetool" "$HERE/src/racetool.c" || die "cannot compile src/racetool.c"

JAR_ERROR=""
if [[ ",$BACKENDS," == *",jslirp-"* ]]; then
    command -v java >/dev/null || JAR_ERROR="java not found"
    if [[ -z "$JAR_ERROR" && -z "$JAR" ]]; then
        JAR="$ROOT/qemu-socket-adapter/target/jslirp.jar"
        newer=""
        if [[ -f "$JAR" ]]; then
            newer="$(find "$ROOT" \( -name .git -o -name target -o -name .mvn \) -prune -o \
                \( -name pom.xml -o -path '*/src/main/*' \) -type f -newer "$JAR" -print -quit)"
        fi
        if [[ ! -f "$JAR" || -n "$newer" ]]; then
            echo "run-race: building $JAR" >&2
            build=(./mvnw -q -DskipTests -pl qemu-socket-adapter -am package)
            if [[ -n "${SUDO_USER:-}" && "$SUDO_USER" != root ]]; then
                build=(sudo -u "$SUDO_USER" "${build[@]}")   # keep target/ and ~/.m2 the user's
            fi
            (cd "$ROOT" && "${build[@]}") >"$WORK/build.log" 2>&1 \
                || JAR_ERROR="building jslirp.jar failed: $(last_line "$WORK/build.log")"
        fi
    fi
    if [[ -z "$JAR_ERROR" && ! -f "$JAR" ]]; then
        JAR_ERROR="no jar at $JAR"
    fi
fi

version_of() {
    case "$1" in
        slirp4netns) slirp4netns --version 2>/dev/null | awk '/^slirp4netns version/{v=$3} /^libslirp/{l=$2} END{print v " (libslirp " l ")"}' ;;
        passt) dpkg-query -W -f='${Version}' passt 2>/dev/null || echo "?" ;;
        iperf3) iperf3 --version 2>/dev/null | head -n 1 | awk '{print $2}' ;;
        java) java -version 2>&1 | head -n 1 | sed 's/.*version "\([^"]*\)".*/\1/' ;;
        jslirp)
            if [[ ",$BACKENDS," != *",jslirp-"* ]]; then
                echo "not in this race"
            elif [[ -n "$JAR_ERROR" ]]; then
                echo "not available: $JAR_ERROR"
            else
                java -jar "$JAR" --version 2>/dev/null | head -n 1 | sed 's/^jslirp //'
            fi ;;
        kernel) uname -r ;;
    esac
}

# ---- one trial: namespaces, backend, measurements ------------------------------------

make_namespaces() {
    ip netns add "$NS_HOST" && ip netns add "$NS_GUEST" || return 1
    ip -n "$NS_HOST" link set lo up
    # A veth pair with both ends in the host namespace: a routable interface and a
    # default route for pasta/passt to take their defaults from, leading nowhere.
    ip -n "$NS_HOST" link add up0 type veth peer name up1 || return 1
    ip -n "$NS_HOST" addr add "$HOST_ADDR/24" dev up0
    ip -n "$NS_HOST" link set up0 up
    ip -n "$NS_HOST" link set up1 up
    ip -n "$NS_HOST" route add default via 198.18.0.254 dev up0
    ip -n "$NS_GUEST" link set lo up
    if [[ $FAMILY == 6 ]]; then
        # nodad: usable at once; nothing else is on this link.
        ip -n "$NS_HOST" addr add "$HOST6_ADDR/64" dev up0 nodad || return 1
        ip -n "$NS_HOST" -6 route add default via "$HOST6_GW" dev up0
        return 0
    fi
    # IPv4 only: no router solicitations or MLD reports competing with the measurements.
    ip netns exec "$NS_GUEST" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    return 0
}

# Gives the guest's tap its address, MTU and default route of the trial's family (relay
# and jslirp modes).
configure_guest() {
    ip -n "$NS_GUEST" link set "$TAP" mtu "$MTU" up || return 1
    if [[ $FAMILY == 6 ]]; then
        ip -n "$NS_GUEST" addr replace "$GUEST6_ADDR/64" dev "$TAP" nodad &&
            ip -n "$NS_GUEST" -6 route replace default via "$GATEWAY6" dev "$TAP"
    else
        ip -n "$NS_GUEST" addr replace "$GUEST_ADDR/24" dev "$TAP" &&
            ip -n "$NS_GUEST" route replace default via "$GATEWAY" dev "$TAP"
    fi
}

# The guest has its address of the trial's family.
guest_configured() {
    if [[ $FAMILY == 6 ]]; then guest_has_addr6; else guest_has_addr; fi
}

# Starts the relay inside the guest namespace towards the stream socket $1.
start_relay() {
    wait_for "its socket $1" 300 "$BACKEND_PID" backend test -S "$1" || return 1
    start_bg relay ip netns exec "$NS_GUEST" "$BIN/tap-relay" --tap "$TAP" --connect "$1"
    RELAY_PID=$BG_PID
    wait_for "the relay's tap device" 100 "$RELAY_PID" relay guest_has_tap || return 1
    configure_guest || { START_ERROR="cannot configure $TAP"; return 1; }
}

# pasta's and passt's addresses and forwards for the trial's family: the same choices as
# every other backend's (README.md). Sets PEER_ARGS.
peer_args() {
    if [[ $FAMILY == 6 ]]; then
        PEER_ARGS=(-6 -a "$GUEST6_ADDR" -g "$GATEWAY6" -t "$HOST6_ADDR/$FWD_TCP:$GUEST_TCP")
    else
        PEER_ARGS=(-4 -a "$GUEST_ADDR" -n 24 -g "$GATEWAY"
            -t "$HOST_ADDR/$FWD_TCP:$GUEST_TCP" -u "$HOST_ADDR/$FWD_UDP:$GUEST_UDP")
    fi
}

start_backend() {
    BACKEND_PID=""
    RELAY_PID=""
    START_ERROR=""
    # IPv6 trials: where the guest reaches the host's ::1, and whether the backend can
    # forward IPv6 into the guest.
    GUEST_GW6="$GATEWAY6"
    FWD6=1
    local sock="$WORK/$BACKEND.sock"
    peer_args
    case "$BACKEND" in
        slirp4netns)
            command -v slirp4netns >/dev/null || { START_ERROR="slirp4netns not installed"; return 1; }
            if [[ $FAMILY == 6 ]]; then
                start_slirp4netns6 || return 1
            else
                start_slirp4netns || return 1
            fi
            ;;
        pasta)
            command -v pasta >/dev/null || { START_ERROR="pasta not installed"; return 1; }
            # --runas 0: as root pasta would switch to nobody and then could not join a
            # namespace owned by root. -T/-U none: no automatic forwards from the guest.
            start_bg backend ip netns exec "$NS_HOST" pasta -f -q --runas 0 \
                --netns "/run/netns/$NS_GUEST" --config-net -I "$TAP" -m "$MTU" \
                "${PEER_ARGS[@]}" -D none -S none -T none -U none
            BACKEND_PID=$BG_PID
            wait_for "it to configure the guest" 100 "$BACKEND_PID" backend guest_configured || return 1
            ip -n "$NS_GUEST" link set "$TAP" mtu "$MTU"
            ;;
        passt-relay)
            command -v passt >/dev/null || { START_ERROR="passt not installed"; return 1; }
            start_bg backend ip netns exec "$NS_HOST" passt -f -q --runas 0 -s "$sock" -m "$MTU" \
                "${PEER_ARGS[@]}" -D none -S none
            BACKEND_PID=$BG_PID
            start_relay "$sock" || return 1
            ;;
        jslirp-relay|jslirp-netns)
            start_jslirp "$sock" || return 1
            ;;
    esac
    finish_backend
}

# slirp4netns configures the guest (IPv4: 10.0.2.100, its fixed choice); the forwards go
# through its API socket.
start_slirp4netns() {
    start_bg backend ip netns exec "$NS_HOST" slirp4netns --configure --mtu="$MTU" \
        --api-socket "$WORK/s4n.api" --disable-dns --netns-type=path "/run/netns/$NS_GUEST" "$TAP"
    BACKEND_PID=$BG_PID
    wait_for "it to configure the guest" 100 "$BACKEND_PID" backend guest_has_addr || return 1
    wait_for "its API socket" 50 "$BACKEND_PID" backend test -S "$WORK/s4n.api" || return 1
    local proto port gport reply
    for proto in tcp udp; do
        if [[ $proto == tcp ]]; then port=$FWD_TCP gport=$GUEST_TCP; else port=$FWD_UDP gport=$GUEST_UDP; fi
        reply="$("$BIN/racetool" unix-request "$WORK/s4n.api" \
            "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"$proto\", \"host_addr\": \"$HOST_ADDR\", \"host_port\": $port, \"guest_port\": $gport}}" 2>&1)"
        [[ "$reply" == *'"return"'* ]] || { START_ERROR="slirp4netns add_hostfwd $proto: $reply"; return 1; }
    done
}

# slirp4netns for an IPv6 trial: --configure sets IPv4 only; the kernel takes fd00::/64
# from libslirp's router advertisements (SLAAC). Its API forwards IPv4 only (add_hostfwd),
# so host -> guest over IPv6 is not measured.
start_slirp4netns6() {
    start_bg backend ip netns exec "$NS_HOST" slirp4netns --configure --enable-ipv6 --mtu="$MTU" \
        --disable-dns --netns-type=path "/run/netns/$NS_GUEST" "$TAP"
    BACKEND_PID=$BG_PID
    GUEST_GW6=fd00::2
    FWD6=0
    wait_for "the guest's address by SLAAC" 150 "$BACKEND_PID" backend guest_has_addr6
}

# jslirp in either mode, for either family: $1 = the stream socket of the relay mode.
start_jslirp() {
    [[ -z "$JAR_ERROR" ]] || { START_ERROR="$JAR_ERROR"; return 1; }
    jslirp_common_args "$MTU" "$FAMILY"
    if [[ $BACKEND == jslirp-relay ]]; then
        jslirp_stream_args "$1"
    else
        jslirp_netns_args "$NS_GUEST" "$TAP"
    fi
    # shellcheck disable=SC2086  # JSLIRP_JAVA_OPTS is a list of options
    start_bg backend ip netns exec "$NS_HOST" java $JSLIRP_JAVA_OPTS -jar "$JAR" "${JSLIRP_ARGS[@]}"
    BACKEND_PID=$BG_PID
    if [[ $BACKEND == jslirp-relay ]]; then
        start_relay "$1" || return 1
    else
        wait_for "its tap device" 300 "$BACKEND_PID" backend guest_has_tap || return 1
        # jslirp configures the tap (--netns-static); if it has not within 2 s, do it here.
        if ! wait_for "its tap's address" 20 "$BACKEND_PID" backend guest_configured; then
            kill -0 "$BACKEND_PID" 2>/dev/null || return 1
            configure_guest || { START_ERROR="cannot configure $TAP"; return 1; }
        fi
    fi
}

# What every backend's start ends with: the queue length asked for, and the MTU check.
finish_backend() {
    if [[ -n "$TXQUEUELEN" ]]; then
        ip -n "$NS_GUEST" link set "$TAP" txqueuelen "$TXQUEUELEN" || { START_ERROR="cannot set txqueuelen"; return 1; }
    fi
    local mtu_now
    mtu_now="$(ip -n "$NS_GUEST" -o link show "$TAP" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"
    [[ "$mtu_now" == "$MTU" ]] || { START_ERROR="guest MTU is $mtu_now, expected $MTU"; return 1; }
    return 0
}

# CPU ticks of the backend and of the relay (0 without one).
cpu_now() {
    local b r=0
    b="$(cpu_ticks "$BACKEND_PID")"
    [[ -n "$RELAY_PID" ]] && r="$(cpu_ticks "$RELAY_PID")"
    echo "$b $r"
}

# iperf3 client. $1 metric, $2 namespace, $3 server address, $4 port, $5 streams.
# Prints the bytes received on success.
iperf() {
    local metric="$1" ns="$2" addr="$3" port="$4" streams="$5" out="$LOG_DIR/$1.json" err
    timeout $((DURATION + 20)) ip netns exec "$ns" iperf3 -J -c "$addr" -p "$port" -P "$streams" \
        -t "$DURATION" --connect-timeout 3000 >"$out" 2>"$LOG_DIR/$metric.err"
    local rc=$?
    err="$(jq -r '.error // empty' "$out" 2>/dev/null)"
    local bps bytes
    bps="$(jq -r '.end.sum_received.bits_per_second // empty' "$out" 2>/dev/null)"
    bytes="$(jq -r '.end.sum_received.bytes // empty' "$out" 2>/dev/null)"
    if [[ $rc -ne 0 || -n "$err" || -z "$bps" || -z "$bytes" || "$bytes" == 0 ]]; then
        [[ $rc -eq 124 ]] && err="iperf3 did not finish within $((DURATION + 20)) s"
        [[ -z "$err" ]] && err="$(last_line "$LOG_DIR/$metric.err")"
        record_fail "$metric" "iperf3: ${err:-exit status $rc}"
        return 1
    fi
    record "$metric" "$(awk -v b="$bps" 'BEGIN{printf "%.4f", b / 1e9}')" \
        "retransmits=$(jq -r '.end.sum_sent.retransmits // "?"' "$out")"
    echo "$bytes"
}

# CPU seconds per GB: $1 clock ticks, $2 bytes.
per_gb() {
    awk -v t="$1" -v hz="$CLK_TCK" -v b="$2" 'BEGIN{printf "%.4f", (t / hz) / (b / 1e9)}'
}

# CPU per GB of a measured transfer: $1 direction (g2h|h2g), $2 bytes, $3 ticks before, $4 after.
record_cpu() {
    local dir="$1" bytes="$2"
    local -a before=($3) after=($4)
    local db=$((after[0] - before[0])) dr=$((after[1] - before[1]))
    record "cpu_${dir}_backend" "$(per_gb $db "$bytes")"
    if [[ -n "$RELAY_PID" ]]; then
        record "cpu_${dir}_relay" "$(per_gb $dr "$bytes")"
        record "cpu_${dir}_total" "$(per_gb $((db + dr)) "$bytes")"
    else
        record "cpu_${dir}_relay" NA
        record "cpu_${dir}_total" "$(per_gb $db "$bytes")"
    fi
}

tcp_throughput() {
    local dir="$1" streams="$2" ns addr port before after bytes
    if [[ $FAMILY == 6 ]]; then
        tcp6_throughput "$dir" "$streams"
        return
    fi
    if [[ $dir == g2h ]]; then ns=$NS_GUEST addr=$GATEWAY port=$IPERF_PORT; else ns=$NS_HOST addr=$HOST_ADDR port=$FWD_TCP; fi
    before="$(cpu_now)"
    if bytes="$(iperf "tcp_${dir}_$streams" "$ns" "$addr" "$port" "$streams")"; then
        after="$(cpu_now)"
        [[ $streams -eq 1 ]] && record_cpu "$dir" "$bytes" "$before" "$after"
    elif [[ $streams -eq 1 ]]; then
        for m in backend relay total; do record_fail "cpu_${dir}_$m" "no transfer to measure (TCP ${dir/2/→}, 1 stream, failed)"; done
    fi
}

# TCP throughput over IPv6 (no CPU figures): $1 direction, $2 streams.
tcp6_throughput() {
    local dir="$1" streams="$2"
    if [[ $dir == g2h ]]; then
        iperf "tcp6_g2h_$streams" "$NS_GUEST" "$GUEST_GW6" "$IPERF_PORT" "$streams" >/dev/null
    elif [[ $FWD6 == 1 ]]; then
        iperf "tcp6_h2g_$streams" "$NS_HOST" "$HOST6_ADDR" "$FWD_TCP" "$streams" >/dev/null
    else
        record "tcp6_h2g_$streams" NA "no IPv6 port forwards"
    fi
}

racetool_metric() { # metric key command...
    local metric="$1" key="$2" out
    shift 2
    out="$(timeout $((DURATION + 20)) "$@" 2>"$LOG_DIR/$metric.err")"
    local rc=$?
    local v
    v="$(echo "$out" | sed -n "s/^ok .*$key=\([0-9.]*\).*/\1/p")"
    if [[ $rc -ne 0 || -z "$v" ]]; then
        local why
        why="$(last_line "$LOG_DIR/$metric.err")"
        [[ $rc -eq 124 ]] && why="did not finish within $((DURATION + 20)) s"
        record_fail "$metric" "${why:-exit status $rc}"
        return 1
    fi
    record "$metric" "$v" "$(echo "$out" | grep -o 'failures=[1-9][0-9]*')"
}

# UDP at the fixed offered rate: $1 direction.
udp_rate() {
    local dir="$1" rx_ns rx_addr tx_ns tx_addr tx_port size
    size=$((MTU - 28 < 65507 ? MTU - 28 : 65507))   # IP + UDP headers: one datagram per frame
    if [[ $dir == g2h ]]; then
        rx_ns=$NS_HOST rx_addr=127.0.0.1 tx_ns=$NS_GUEST tx_addr=$GATEWAY tx_port=$UDP_PORT
    else
        rx_ns=$NS_GUEST rx_addr=0.0.0.0 tx_ns=$NS_HOST tx_addr=$HOST_ADDR tx_port=$FWD_UDP
    fi
    local port=$UDP_PORT
    [[ $dir == h2g ]] && port=$GUEST_UDP
    # The receiver stops 1.5 s after the last datagram, or 3 s after the sender's time.
    start_bg "udp_$dir.rx" ip netns exec "$rx_ns" "$BIN/racetool" udp-recv "$rx_addr" "$port" $((DURATION + 3)) 1500
    local rx_pid=$BG_PID
    if ! wait_for "udp-recv" 50 "$rx_pid" "udp_$dir.rx" has_line "$LOG_DIR/udp_$dir.rx.log" ready; then
        record_fail "udp_${dir}_rate" "$START_ERROR"
        record_fail "udp_${dir}_loss" "$START_ERROR"
        return
    fi
    local tx
    tx="$(timeout $((DURATION + 10)) ip netns exec "$tx_ns" "$BIN/racetool" udp-send "$tx_addr" "$tx_port" \
        "$size" "$UDP_BITS" "$DURATION" 2>&1)"
    wait "$rx_pid" 2>/dev/null
    local rx sent secs received rbytes
    rx="$(grep '^ok' "$LOG_DIR/udp_$dir.rx.log")"
    sent="$(echo "$tx" | sed -n 's/^ok .*sent=\([0-9]*\).*/\1/p')"
    secs="$(echo "$tx" | sed -n 's/^ok .*seconds=\([0-9.]*\).*/\1/p')"
    received="$(echo "$rx" | sed -n 's/^ok .*received=\([0-9]*\).*/\1/p')"
    rbytes="$(echo "$rx" | sed -n 's/^ok .*bytes=\([0-9]*\).*/\1/p')"
    if [[ -z "$sent" || -z "$secs" ]]; then
        record_fail "udp_${dir}_rate" "udp-send: $(echo "$tx" | tail -n 1)"
        record_fail "udp_${dir}_loss" "udp-send failed"
    elif [[ -z "$received" || "$received" == 0 ]]; then
        record_fail "udp_${dir}_rate" "no datagram arrived (${sent} sent)"
        record_fail "udp_${dir}_loss" "no datagram arrived"
    else
        record "udp_${dir}_rate" "$(awk -v b="$rbytes" -v s="$secs" 'BEGIN{printf "%.1f", b * 8 / s / 1e6}')"
        record "udp_${dir}_loss" "$(awk -v r="$received" -v s="$sent" 'BEGIN{l = 100 * (1 - r / s); if (l < 0) l = 0; printf "%.2f", l}')"
    fi
}

# One trial of the family FAMILY (4: every test but tcp6; 6: tcp6).
run_trial() {
    local metrics="$METRICS_TCP $METRICS_CPU $METRICS_UDP" suffix=""
    if [[ $FAMILY == 6 ]]; then
        metrics="$METRICS_TCP6"
        suffix="-ipv6"
    fi
    LOG_DIR="$WORK/logs/run$RUN-mtu$MTU-$BACKEND$suffix"
    mkdir -p "$LOG_DIR"
    echo "run-race: run $RUN/$RUNS, MTU $MTU, $BACKEND${suffix:+, IPv6}" >&2
    local m
    if ! make_namespaces; then
        for m in $metrics; do record_fail "$m" "cannot create namespaces"; done
        teardown_trial
        return
    fi
    # Host-side services, started before the backend so a failure is the backend's.
    if [[ $FAMILY == 6 ]]; then
        start_bg iperf-host ip netns exec "$NS_HOST" iperf3 -s -B ::1 -p "$IPERF_PORT"
    else
        start_bg iperf-host ip netns exec "$NS_HOST" iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT"
        start_bg echo-host ip netns exec "$NS_HOST" "$BIN/racetool" echo-server 127.0.0.1 "$ECHO_PORT" "$ONCE_PORT"
    fi
    start_bg iperf-guest ip netns exec "$NS_GUEST" iperf3 -s -p "$GUEST_TCP"
    if ! wait_for "the iperf3 server" 50 - - listening "$NS_HOST" "$IPERF_PORT" \
        || { [[ $FAMILY == 4 ]] && ! wait_for "the echo server" 50 - - listening "$NS_HOST" "$ONCE_PORT"; } \
        || ! wait_for "the guest's iperf3 server" 50 - - listening "$NS_GUEST" "$GUEST_TCP"; then
        for m in $metrics; do record_fail "$m" "$START_ERROR"; done
        teardown_trial
        return
    fi
    if ! start_backend; then
        echo "run-race:   $BACKEND did not start: $START_ERROR" >&2
        for m in $metrics; do record_fail "$m" "did not start: $START_ERROR"; done
        teardown_trial
        return
    fi
    if [[ $FAMILY == 6 ]]; then
        # Warm-up, not recorded: neighbour discovery, the JIT, the flow tables.
        timeout 10 ip netns exec "$NS_GUEST" iperf3 -c "$GUEST_GW6" -p "$IPERF_PORT" -t 1 --connect-timeout 2000 >/dev/null 2>&1
        [[ $FWD6 == 1 ]] && timeout 10 ip netns exec "$NS_HOST" iperf3 -c "$HOST6_ADDR" -p "$FWD_TCP" -t 1 \
            --connect-timeout 2000 >/dev/null 2>&1
        tcp_throughput g2h 1
        tcp_throughput g2h 4
        tcp_throughput h2g 1
        tcp_throughput h2g 4
        finish_trial
        return
    fi

    # Warm-up, not recorded: ARP both ways, the JIT, the backends' flow tables. The
    # datagrams go to ports nobody listens on (the host's discard port, the guest's
    # receiver port before the receiver runs).
    local size=$((MTU - 28 < 65507 ? MTU - 28 : 65507))
    timeout 10 ip netns exec "$NS_GUEST" "$BIN/racetool" udp-send "$GATEWAY" 9 "$size" "$UDP_BITS" 1 >/dev/null 2>&1
    timeout 10 ip netns exec "$NS_HOST" "$BIN/racetool" udp-send "$HOST_ADDR" "$FWD_UDP" "$size" "$UDP_BITS" 1 >/dev/null 2>&1
    timeout 10 ip netns exec "$NS_GUEST" iperf3 -c "$GATEWAY" -p "$IPERF_PORT" -t 1 --connect-timeout 2000 >/dev/null 2>&1
    timeout 10 ip netns exec "$NS_HOST" iperf3 -c "$HOST_ADDR" -p "$FWD_TCP" -t 1 --connect-timeout 2000 >/dev/null 2>&1

    if testing tcp; then
        tcp_throughput g2h 1
        tcp_throughput g2h 4
        tcp_throughput h2g 1
        tcp_throughput h2g 4
    fi
    if testing rr; then
        racetool_metric rr per_second ip netns exec "$NS_GUEST" "$BIN/racetool" rr "$GATEWAY" "$ECHO_PORT" "$RR_SIZE" "$DURATION"
    fi
    if testing crr; then
        racetool_metric crr per_second ip netns exec "$NS_GUEST" "$BIN/racetool" crr "$GATEWAY" "$ONCE_PORT" "$DURATION"
    fi
    if testing udp; then
        udp_rate g2h
        udp_rate h2g
    fi
    finish_trial
}

finish_trial() {
    if ! kill -0 "$BACKEND_PID" 2>/dev/null; then
        echo "run-race:   $BACKEND exited during the measurements: $(last_line "$LOG_DIR/backend.log")" >&2
    fi
    teardown_trial
}

# ---- the race -------------------------------------------------------------------------

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
START_TIME="$(date '+%Y-%m-%d %H:%M:%S %Z')"
: >"$RAW"
for ((RUN = 1; RUN <= RUNS; RUN++)); do
    for MTU in ${MTUS//,/ }; do
        for BACKEND in ${BACKENDS//,/ }; do
            if testing tcp || testing rr || testing crr || testing udp; then
                FAMILY=4
                run_trial
            fi
            if testing tcp6; then
                FAMILY=6
                run_trial
            fi
        done
    done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the table ---------------------------------------------------------------------------

if [[ -z "$OUT" ]]; then
    mkdir -p "$HERE/results"
    OUT="$HERE/results/$(date '+%Y-%m-%d-%H%M').md"
fi
UDP_LABEL="$UDP_RATE"
{
    echo "# jslirp peer race, $START_TIME"
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1), $(nproc) CPUs, $(awk '/MemTotal/{printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(version_of kernel)"
    echo "- load average before/after: $LOAD_BEFORE / $LOAD_AFTER (other work on the machine skews every column alike only if it is steady)"
    echo "- peers: slirp4netns $(version_of slirp4netns); passt/pasta $(version_of passt); iperf3 $(version_of iperf3)"
    echo "- jslirp: $(version_of jslirp), $JAR; Java $(version_of java); JVM flags: \`$JSLIRP_JAVA_OPTS\`"
    echo "- $RUNS run(s) of ${DURATION} s per measurement, medians; tests $TESTS; MTUs $MTUS; UDP offered $UDP_LABEL bit/s of MTU-sized datagrams; request/response $RR_SIZE byte(s); guest tap txqueuelen ${TXQUEUELEN:-as each backend leaves it (1000)}"
    echo "- ratios in each cell: s = value / slirp4netns, p = value / passt (pasta for the namespace backends, passt through the same relay for the relay backends); ↑ higher is better, ↓ lower is better"
    echo
    awk -F'\t' -v backends="$BACKENDS" -v runs="$RUNS" -v udp="$UDP_LABEL" -v rrsize="$RR_SIZE" -f "$HERE/report.awk" "$RAW"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cp "$RAW" "${OUT%.md}.tsv"
cat "$OUT"
echo
python3 "$HERE/charts.py" "${OUT%.md}.tsv" "${OUT%.md}-charts" >/dev/null \
    || echo "run-race: no charts (python3 missing?)" >&2
echo "run-race: saved $OUT (raw values: ${OUT%.md}.tsv, charts: ${OUT%.md}-charts/index.html)" >&2
