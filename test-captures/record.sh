#!/usr/bin/env bash
# Records the captures the replay tests use (CaptureRecorder's Javadoc says how):
#   test-captures/record.sh SCENARIO...   e.g. dhcp dns tcp hostfwd fragments ipv6
# Needs root (network namespaces), QEMU and the test guest image (built on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
cpfile="$(mktemp)"
trap 'rm -f "$cpfile"' EXIT
# test-compile first, so the modules of the reactor resolve to their class directories.
./mvnw -B -q ${MVN_ARGS:-} test-compile dependency:build-classpath -pl test-captures -am \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test
java -cp "test-captures/target/test-classes:$(cat "$cpfile")" -Dout=test-captures/src/test/resources/captures \
    dev.jslirp.captures.record.CaptureRecorder "$@"
