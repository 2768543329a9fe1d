package dev.jslirp.bench.soak;

import java.util.Locale;

/**
 * One look at jslirp and at the traffic so far: a row of the soak's CSV.
 *
 * @param seconds          since the traffic started
 * @param rssKib           jslirp's resident set ({@code VmRSS})
 * @param fds              its open file descriptors ({@code /proc/PID/fd})
 * @param threads          its threads
 * @param cpuSeconds       its user + system CPU time so far
 * @param tcpFlows         the NAT's TCP flows, any state ({@code info stats json} gauges)
 * @param tcpHalfOpen      of which waiting for the host's connect
 * @param udpFlows         the NAT's UDP flows
 * @param tcpBufferedBytes bytes the TCP flows hold
 * @param directBytes      the buffer pool's direct memory
 * @param heapBytes        the buffer pool's heap memory
 * @param bulkBytes        bulk bytes moved so far, all paths and directions
 * @param shortConnections short connections done so far
 * @param dnsAnswers       DNS queries answered so far
 * @param udpEchoes        UDP datagrams echoed so far
 * @param udpLost          UDP datagrams not echoed in time so far
 * @param forwardCycles    forwards added, used and removed so far
 * @param errors           errors so far
 */
record Sample(double seconds, long rssKib, long fds, long threads, double cpuSeconds, long tcpFlows, long tcpHalfOpen,
              long udpFlows, long tcpBufferedBytes, long directBytes, long heapBytes, long bulkBytes,
              long shortConnections, long dnsAnswers, long udpEchoes, long udpLost, long forwardCycles, long errors) {
    static final String CSV_HEADER = "seconds,rss_kib,fds,threads,cpu_seconds,tcp_flows,tcp_half_open,udp_flows,"
            + "tcp_buffered_bytes,direct_bytes,heap_bytes,bulk_bytes,short_connections,dns_answers,udp_echoes,udp_lost,"
            + "forward_cycles,errors";

    /** The CSV row, in {@link #CSV_HEADER}'s order. */
    String csv() {
        return String.format(Locale.ROOT, "%.1f,%d,%d,%d,%.2f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", seconds, rssKib,
                fds, threads, cpuSeconds, tcpFlows, tcpHalfOpen, udpFlows, tcpBufferedBytes, directBytes, heapBytes,
                bulkBytes, shortConnections, dnsAnswers, udpEchoes, udpLost, forwardCycles, errors);
    }

    /** TCP and UDP flows together. */
    long flows() {
        return tcpFlows + udpFlows;
    }
}
