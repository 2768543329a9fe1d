/**
 * The network's numbers for monitoring: every counter, a few gauges and latency
 * histograms in one snapshot ({@link dev.jslirp.metrics.NetworkMetrics}), served in
 * Prometheus's text format ({@link dev.jslirp.metrics.MetricsServer}) and as JSON
 * ({@link dev.jslirp.metrics.StatsJson}, the control socket's {@code info stats json}).
 */
package dev.jslirp.metrics;
