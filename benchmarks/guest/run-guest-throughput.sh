#!/usr/bin/env bash
# TCP throughput of a real QEMU guest through jslirp against QEMU's own -netdev user
# (libslirp), issue 12 item 5.
#
#   benchmarks/guest/run-guest-throughput.sh [key=value...]
#   benchmarks/guest/run-guest-throughput.sh rounds=3 runs=3 size=20      # the defaults
#   benchmarks/guest/run-guest-throughput.sh dir=down \
#       jvm="-XX:StartFlightRecording=filename=/tmp/j.jfr,settings=profile"
#
# GuestThroughput (benchmarks/src/main/java/dev/jslirp/bench/guest) boots a Debian kernel
# + busybox guest (built on first use, cached under ~/.cache/jslirp/guest) per backend and
# round, alternating the backends, and times wget downloads from and nc uploads to a server
# on the host's 127.0.0.1. It prints MB/s per run, then per backend and direction the
# median of all runs, of each boot's first run (cold: jslirp's JIT has not compiled its
# hot path yet) and of the others (warm), and jslirp's medians over libslirp's (RATIO).
# Every option is documented in GuestThroughput's Javadoc. Needs qemu-system-x86_64; uses
# KVM when /dev/kvm is usable, TCG otherwise (much slower, the ratio still holds).
#
# The jars are (re)built when missing or older than a pom.xml or a source file.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=qemu-socket-adapter/target/jslirp.jar
BENCH=benchmarks/target/benchmarks.jar

stale() {
    [[ -f $1 ]] || return 0
    [[ -n $(find . \( -name .git -o -name target -o -name .mvn \) -prune -o \
        \( -name pom.xml -o -path '*/src/main/*' -o -path '*/src/test/*' \) -type f -newer "$1" -print -quit) ]]
}

if stale "$JAR" || stale "$BENCH"; then
    echo "building $JAR and $BENCH" >&2
    ./mvnw -B -q -DskipTests -pl benchmarks,qemu-socket-adapter -am package >&2
fi
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 is not installed" >&2; exit 1; }

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
java -cp "$BENCH" dev.jslirp.bench.guest.GuestThroughput "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
