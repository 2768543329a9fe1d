#!/usr/bin/env bash
# Fuzzes jslirp's parsers and state machines with Jazzer, one target after another.
#
#   benchmarks/fuzz/run-fuzz.sh [-m MINUTES] [-l] [TARGET...]
#
#   -m MINUTES  how long each target is fuzzed (default 10)
#   -l          list the targets and exit
#   TARGET      only the targets whose name (Class#method) contains one of these words
#
# Each target is a @FuzzTest (jazzer-junit) run through Maven with JAZZER_FUZZ=1, so the
# test JVM is the build's: Netty's leak detector at paranoid level, the fuzz harness's
# own per-input checks (benchmarks/fuzz/README.md). Inputs that find something are
# written by Jazzer next to the committed corpus, src/test/resources/<package>/
# <Class>Inputs/<method>/crash-*, where the next build runs them as regression tests;
# the corpus Jazzer grows lives in <module>/.cifuzz-corpus/ (not committed).
#
# At the end: one line per target with the executions, executions per second and the
# findings (crash files written), and the exit status is 1 if any target found one.
# MVN_ARGS (e.g. -o) is passed to Maven.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# module  class  method
TARGETS="
slirp-core          dev.jslirp.core.iface.GuestNetworkFuzzTest          framesFromTheGuest
slirp-core          dev.jslirp.core.iface.GuestNetworkFuzzTest          framesFromTheGuestOnASmallLink
dhcp-dns            dev.jslirp.dhcp.DhcpFuzzTest                        messagesFromClients
dhcp-dns            dev.jslirp.dns.DnsFuzzTest                          queriesFromTheGuest
dhcp-dns            dev.jslirp.tftp.TftpFuzzTest                        datagramsFromClients
dhcp-dns            dev.jslirp.autoconf.AutoconfFuzzTest                solicitationsFromTheGuest
dhcp-dns            dev.jslirp.autoconf.AutoconfFuzzTest                dhcpv6MessagesFromClients
nat                 dev.jslirp.nat.tcp.TcpFlowFuzzTest                  segmentsAgainstAScriptedHost
nat                 dev.jslirp.nat.hostfwd.HostForwardFuzzTest          rules
nat                 dev.jslirp.nat.icmp.IcmpEchoFuzzTest                echoThroughPingSockets
nat                 dev.jslirp.nat.icmp.IcmpEchoFuzzTest                echoThroughARawSocket
nat                 dev.jslirp.nat.guestfwd.GuestForwardFuzzTest        rules
qemu-socket-adapter dev.jslirp.transport.stream.StreamFramingFuzzTest   readsFromQemu
qemu-socket-adapter dev.jslirp.transport.dgram.DatagramFramingFuzzTest  datagramsFromQemu
qemu-socket-adapter dev.jslirp.cli.NetdevUserFuzzTest                   netdevUserStrings
qemu-socket-adapter dev.jslirp.control.ControlCommandsFuzzTest          commandLines
qemu-socket-adapter dev.jslirp.control.ControlCommandsFuzzTest          hmpRules
qemu-socket-adapter dev.jslirp.slirp4netns.ApiRequestFuzzTest           requests
qemu-socket-adapter dev.jslirp.slirp4netns.Slirp4netnsOptionsFuzzTest   commandLines
"

minutes=10
list=0
while getopts "m:lh" opt; do
    case "$opt" in
        m) minutes="$OPTARG" ;;
        l) list=1 ;;
        *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if ! [[ "$minutes" =~ ^[0-9]+$ ]] || [ "$minutes" -lt 1 ]; then
    echo "run-fuzz.sh: -m takes whole minutes, at least 1 (got '$minutes')" >&2
    exit 2
fi

selected() {     # $1 = Class#method
    [ ${#FILTERS[@]} -eq 0 ] && return 0
    local w
    for w in "${FILTERS[@]}"; do
        [[ "$1" == *"$w"* ]] && return 0
    done
    return 1
}
FILTERS=("$@")

cd "$ROOT" || exit 1
results=()
status=0
while read -r module class method; do
    [ -z "$module" ] && continue
    name="${class##*.}#$method"
    selected "$name" || continue
    if [ "$list" -eq 1 ]; then
        echo "$name ($module)"
        continue
    fi
    pkgdir="$(echo "${class%.*}" | tr . /)"
    inputs="$module/src/test/resources/$pkgdir/${class##*.}Inputs/$method"
    before=$(ls "$inputs" 2>/dev/null | grep -c '^crash-\|^timeout-\|^slow-unit-' || true)
    log="$module/target/run-fuzz-${class##*.}-$method.log"
    mkdir -p "$module/target"
    echo "== $name: fuzzing for $minutes min (log: $log)"
    start=$(date +%s)
    # -timeout: an input running 30 s is a hang; the corpus directories come from jazzer-junit.
    JAZZER_FUZZ=1 ./mvnw -B ${MVN_ARGS:-} verify -pl "$module" -am -Dtest="$class#$method" \
        -Dsurefire.failIfNoSpecifiedTests=false \
        "-Dsurefire.extraArgLine=-Djazzer.instrument=dev.jslirp.** -Djazzer.internal.arg.0=fuzz \
-Djazzer.internal.arg.1=-max_total_time=$((minutes * 60)) -Djazzer.internal.arg.2=-timeout=30" \
        >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    # libFuzzer writes to the forked JVM's standard error, which surefire passes to the build log.
    out="$log"
    runs=$(grep -ho 'Done [0-9]* runs in [0-9]* second' "$out" 2>/dev/null | tail -1 | awk '{print $2, $5}')
    if [ -z "$runs" ]; then     # stopped by a finding: the last status line counts
        runs=$(grep -ho '^#[0-9]*' "$out" 2>/dev/null | tail -1 | tr -d '#')
        runs="${runs:-0} $took"
    fi
    execs=${runs% *}
    secs=${runs#* }
    after=$(ls "$inputs" 2>/dev/null | grep -c '^crash-\|^timeout-\|^slow-unit-' || true)
    findings=$((after - before))
    if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
        findings="build failed (see log)"
        status=1
    elif [ "$findings" -gt 0 ]; then
        status=1
    fi
    rate=$(( secs > 0 ? execs / secs : execs ))
    results+=("$(printf '%-62s %12s %8s %s' "$name" "$execs" "$rate/s" "$findings")")
    grep -h 'Test unit written to' "$out" 2>/dev/null | sed 's/^/   /'
done <<< "$TARGETS"

if [ "$list" -eq 0 ]; then
    echo
    printf '%-62s %12s %8s %s\n' "target ($minutes min each)" "executions" "rate" "findings"
    printf '%s\n' "${results[@]}"
fi
exit $status
