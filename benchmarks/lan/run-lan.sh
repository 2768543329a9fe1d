#!/usr/bin/env bash
# The LAN race: 8 network namespaces on one virtual LAN, VM to VM through three switches,
# same machine, same run:
#
#   jslirp      one jslirp process, each namespace a tap port of one network (--netns x8)
#   qemu-hub    QEMU's own L2 sharing: one QEMU (-machine none) joining 8 taps in a hub
#               (-netdev tap + -netdev hubport,hubid=0), what -netdev hubport/dgram give VMs
#   bridge      the kernel reference: a Linux bridge with a veth pair per namespace
#
#   sudo benchmarks/lan/run-lan.sh [--duration S] [--jar PATH] [--out FILE] [--backends a,b]
#
# Each namespace gets 10.0.2.101..108/24 (set here, not by DHCP, so every backend is wired
# alike). Measured, namespace 0 to namespace 1: one TCP stream (iperf3, Gbit/s), four
# streams between four disjoint pairs at once (0>1 2>3 4>5 6>7, the sum), and the round
# trip of ICMP echo (ping, 500 at 2 ms, average microseconds). Every process started is
# stopped by its PID and every namespace, bridge and tap deleted, also on error or Ctrl-C.
# Nothing leaves the namespaces: they have no route to anywhere else.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

N=8
DURATION=5
JAR=""
OUT=""
BACKENDS="bridge,qemu-hub,jslirp"
PREFIX="lanb"
JSLIRP_JAVA_OPTS="${JSLIRP_JAVA_OPTS:--Xms128m -Xmx128m -XX:MaxDirectMemorySize=512m -XX:+UseSerialGC \
-XX:-UsePerfData -XX:+ExitOnOutOfMemoryError -Dio.netty.leakDetection.level=disabled}"

usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION="$2"; shift 2 ;;
        --jar) JAR="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --backends) BACKENDS="$2"; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "run-lan: unknown option $1" >&2; usage 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "run-lan: needs root (network namespaces, taps, a bridge)" >&2; exit 2; }
for tool in ip iperf3 ping qemu-system-x86_64 java awk; do
    command -v "$tool" >/dev/null || { echo "run-lan: $tool is missing (apt-get install iproute2 iperf3 iputils-ping qemu-system-x86 default-jre)" >&2; exit 2; }
done
if [ -z "$JAR" ]; then
    JAR="$ROOT/qemu-socket-adapter/target/jslirp.jar"
    [ -f "$JAR" ] || (cd "$ROOT" && ./mvnw -B -q package -pl qemu-socket-adapter -am -DskipTests) || exit 1
fi

WORK="$(mktemp -d /tmp/run-lan.XXXXXX)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null
    done
    PIDS=()
    for i in $(seq 0 $((N - 1))); do
        ip netns del "$PREFIX$i" 2>/dev/null
        ip link del "lanq$i" 2>/dev/null
    done
    ip link del "${PREFIX}br" 2>/dev/null
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

addr() { echo "10.0.2.$((101 + $1))"; }

namespaces() {
    for i in $(seq 0 $((N - 1))); do
        ip netns add "$PREFIX$i" || return 1
        ip -n "$PREFIX$i" link set lo up
    done
}

# $1 = namespace index, $2 = interface name inside: address it and bring it up.
configure() {
    ip -n "$PREFIX$1" link set "$2" up && ip -n "$PREFIX$1" addr add "$(addr "$1")/24" dev "$2"
}

wire_bridge() {
    ip link add "${PREFIX}br" type bridge || return 1
    ip link set "${PREFIX}br" up
    for i in $(seq 0 $((N - 1))); do
        ip link add "lanv$i" type veth peer name eth0 netns "$PREFIX$i" || return 1
        ip link set "lanv$i" master "${PREFIX}br" up
        configure "$i" eth0 || return 1
    done
}

wire_qemu_hub() {
    local args=()
    for i in $(seq 0 $((N - 1))); do
        args+=(-netdev "tap,id=t$i,ifname=lanq$i,script=no,downscript=no" -netdev "hubport,id=h$i,hubid=0,netdev=t$i")
    done
    qemu-system-x86_64 -machine none -nodefaults -nographic -display none -monitor none -serial none "${args[@]}" \
        > "$WORK/qemu.log" 2>&1 &
    PIDS+=($!)
    for i in $(seq 0 $((N - 1))); do
        for _ in $(seq 50); do ip link show "lanq$i" >/dev/null 2>&1 && break; sleep 0.1; done
        # The tap moves into the namespace; QEMU keeps its descriptor.
        ip link set "lanq$i" netns "$PREFIX$i" || return 1
        configure "$i" "lanq$i" || return 1
    done
}

wire_jslirp() {
    local args=()
    for i in $(seq 0 $((N - 1))); do
        args+=(--netns "/run/netns/$PREFIX$i")
    done
    # shellcheck disable=SC2086
    java $JSLIRP_JAVA_OPTS -jar "$JAR" "${args[@]}" --netns-ifname lan0 --dns-upstream 127.0.0.1 \
        --log-level warn > "$WORK/jslirp.log" 2>&1 &
    PIDS+=($!)
    for i in $(seq 0 $((N - 1))); do
        for _ in $(seq 100); do ip -n "$PREFIX$i" link show lan0 >/dev/null 2>&1 && break; sleep 0.1; done
        ip -n "$PREFIX$i" addr add "$(addr "$i")/24" dev lan0 || { cat "$WORK/jslirp.log" >&2; return 1; }
    done
}

# Waits until namespace 0 reaches every other one.
settle() {
    for i in $(seq 1 $((N - 1))); do
        for _ in $(seq 50); do
            ip netns exec "${PREFIX}0" ping -c 1 -W 1 "$(addr "$i")" >/dev/null 2>&1 && break
        done
    done
}

# iperf3 client in namespace $1 to the server in namespace $2; prints Gbit/s received.
iperf_pair() {
    ip netns exec "$PREFIX$1" iperf3 -c "$(addr "$2")" -t "$DURATION" -J 2>/dev/null \
        | awk -F'[:,]' '/"sum_received"/ {r = 1} r && /"bits_per_second"/ {printf "%.3f\n", $2 / 1e9; exit}'
}

# One-off iperf3 servers (-1: exit after one client) in namespaces $@.
servers() {
    for i in "$@"; do
        ip netns exec "$PREFIX$i" iperf3 -s -D -1 >/dev/null 2>&1
    done
    sleep 0.5
}

measure() {
    local name="$1" single four rtt
    servers 1
    single="$(iperf_pair 0 1)"
    servers 1 3 5 7
    for i in 0 2 4 6; do
        iperf_pair "$i" "$((i + 1))" > "$WORK/four.$i" &
    done
    wait_iperf
    four="$(cat "$WORK"/four.* | awk '{s += $1} END {printf "%.3f", s}')"
    rtt="$(ip netns exec "${PREFIX}0" ping -c 500 -i 0.002 -q "$(addr 1)" 2>/dev/null \
        | awk -F'/' '/^rtt|^round-trip/ {printf "%.0f", $5 * 1000}')"
    echo "$name ${single:-0} ${four:-0} ${rtt:-0}" >> "$WORK/results"
    echo "run-lan: $name: 1 stream ${single:-?} Gbit/s, 4 pairs ${four:-?} Gbit/s, rtt ${rtt:-?} us" >&2
    rm -f "$WORK"/four.*
}

# The background iperf3 clients of measure() are children of this shell: wait for them only.
wait_iperf() {
    local j
    for j in $(jobs -p); do
        case " ${PIDS[*]:-} " in *" $j "*) ;; *) wait "$j" ;; esac
    done
}

: > "$WORK/results"
IFS=',' read -r -a WANTED <<< "$BACKENDS"
for b in "${WANTED[@]}"; do
    namespaces || { echo "run-lan: cannot create namespaces" >&2; exit 1; }
    case "$b" in
        bridge) wire_bridge ;;
        qemu-hub) wire_qemu_hub ;;
        jslirp) wire_jslirp ;;
        *) echo "run-lan: unknown backend $b" >&2; exit 2 ;;
    esac || { echo "run-lan: wiring $b failed" >&2; exit 1; }
    settle
    measure "$b"
    cleanup
done

{
    echo "| switch | 1 stream, Gbit/s | 4 pairs at once, Gbit/s | ping RTT, us | 1 stream vs bridge, vs QEMU hub | 4 pairs vs bridge, vs QEMU hub | RTT vs bridge, vs QEMU hub |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk 'function ratio(a, b) { return (b > 0) ? sprintf("%.2fx", a / b) : "-" }
         NR == FNR { s[$1] = $2; f[$1] = $3; r[$1] = $4; next }
         { printf "| %s | %s | %s | %s | %s, %s | %s, %s | %s, %s |\n", $1, $2, $3, $4,
                  ratio($2, s["bridge"]), ratio($2, s["qemu-hub"]), ratio($3, f["bridge"]), ratio($3, f["qemu-hub"]),
                  ratio($4, r["bridge"]), ratio($4, r["qemu-hub"]) }' "$WORK/results" "$WORK/results"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), ${DURATION} s per iperf3 run, $N namespaces"
} | tee ${OUT:+"$OUT"}
