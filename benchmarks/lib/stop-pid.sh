# shellcheck shell=bash
# Sourced by the benchmark scripts (race, soak): stopping what a script started, by PID only.

# stop_pid PID [SECONDS]: SIGTERM, up to SECONDS (default 3) for the process to exit, then
# SIGKILL; reaps it if it is the caller's child. Does nothing if PID is gone already.
stop_pid() {
    local pid="$1" tenths=$((${2:-3} * 10)) i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < tenths; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
