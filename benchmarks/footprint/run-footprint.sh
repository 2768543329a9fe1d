#!/usr/bin/env bash
# Start-up time and memory footprint of the jslirp process (issue 12, item 6).
#
#   benchmarks/footprint/run-footprint.sh [RUNS] [FLOWS]
#
# For each JVM profile below, FootprintProbe (benchmarks/src/main/java/dev/jslirp/bench)
# launches `java -jar jslirp.jar --listen unix:...`, plays a guest over the stream
# protocol and prints, per run and as medians: the time from launch to the DHCP offer
# answering the first DISCOVER, the RSS with one guest attached and idle, the RSS with
# FLOWS TCP connections open (to a server on 127.0.0.1), and the live heap after a full GC
# (what the network's own objects take, which the RSS hides behind the JVM's committed heap).
#
# Profiles: the JVM's defaults; with an application class-data sharing archive (AppCDS,
# made here by a training run with -XX:ArchiveClassesAtExit); and that archive with the
# serial collector and C1 only, a small-footprint setting for many processes on one host.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
FLOWS=${2:-1000}
JAR=qemu-socket-adapter/target/jslirp.jar
BENCH=benchmarks/target/benchmarks.jar
if [[ ! -f $JAR || ! -f $BENCH ]]; then
    ./mvnw -B -q -DskipTests -pl benchmarks,qemu-socket-adapter -am package
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ARCHIVE=$WORK/jslirp.jsa

# Training run: start, serve a DHCP exchange and some flows, stop with SIGTERM (the JVM
# writes the archive as it exits).
java -cp "$BENCH" dev.jslirp.bench.FootprintProbe "$JAR" 1 50 -XX:ArchiveClassesAtExit="$ARCHIVE" \
    -Xlog:cds=off >/dev/null
[[ -s $ARCHIVE ]] || { echo "the training run wrote no archive" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(java -version 2>&1 | head -1)"
for profile in "default:" "appcds:-XX:SharedArchiveFile=$ARCHIVE -Xlog:cds=off" \
               "appcds+serial+c1:-XX:SharedArchiveFile=$ARCHIVE -Xlog:cds=off -XX:+UseSerialGC -XX:TieredStopAtLevel=1"; do
    name=${profile%%:*}
    opts=${profile#*:}
    echo "== $name ${opts}"
    # shellcheck disable=SC2086  # the options are a list
    java -cp "$BENCH" dev.jslirp.bench.FootprintProbe "$JAR" "$RUNS" "$FLOWS" $opts
done
