package dev.jslirp.metrics;

import java.util.Iterator;
import java.util.Map;

/**
 * A {@link MetricsSnapshot} as one line of JSON, for the control socket's
 * {@code info stats json} and scripts: the same numbers as the Prometheus endpoint.
 *
 * <pre>{@code
 * {"counters":{"traffic":{"frames_from_guest":12,...},"drop":{...},"dhcp":{...},...},
 *  "gauges":{"tcp_flows":0,...},
 *  "latencies":{"dns.upstream":{"count":3,"sum_seconds":0.0012,
 *               "buckets":[{"le":0.0001,"count":1},...,{"le":"+Inf","count":3}]}}}
 * }</pre>
 * Bucket counts are cumulative, as Prometheus's. Every name is a fixed identifier of
 * jslirp's (no escaping needed beyond what {@link #string} does anyway).
 */
public final class StatsJson {
    private StatsJson() {
    }

    /** {@code s} as JSON on one line. */
    public static String write(MetricsSnapshot s) {
        StringBuilder b = new StringBuilder(4096);
        b.append("{\"counters\":{");
        Iterator<Map.Entry<String, Map<String, Long>>> sets = s.counters().entrySet().iterator();
        while (sets.hasNext()) {
            Map.Entry<String, Map<String, Long>> set = sets.next();
            string(b, set.getKey()).append(":{");
            Iterator<Map.Entry<String, Long>> cs = set.getValue().entrySet().iterator();
            while (cs.hasNext()) {
                Map.Entry<String, Long> c = cs.next();
                string(b, c.getKey()).append(':').append(c.getValue());
                b.append(cs.hasNext() ? "," : "");
            }
            b.append('}').append(sets.hasNext() ? "," : "");
        }
        b.append("},\"gauges\":{");
        for (int i = 0; i < s.gauges().size(); i++) {
            MetricsSnapshot.Gauge g = s.gauges().get(i);
            string(b, g.name()).append(':').append(number(g.value())).append(i + 1 < s.gauges().size() ? "," : "");
        }
        b.append("},\"latencies\":{");
        Iterator<Map.Entry<String, MetricsSnapshot.Histogram>> hs = s.latencies().entrySet().iterator();
        while (hs.hasNext()) {
            Map.Entry<String, MetricsSnapshot.Histogram> e = hs.next();
            MetricsSnapshot.Histogram h = e.getValue();
            string(b, e.getKey()).append(":{\"count\":").append(h.count()).append(",\"sum_seconds\":")
                    .append(number(h.sumSeconds())).append(",\"buckets\":[");
            long cumulative = 0;
            for (int i = 0; i < h.counts().length; i++) {
                cumulative += h.counts()[i];
                double le = h.upperBoundsSeconds()[i];
                b.append("{\"le\":").append(Double.isInfinite(le) ? "\"+Inf\"" : number(le)).append(",\"count\":")
                        .append(cumulative).append('}').append(i + 1 < h.counts().length ? "," : "");
            }
            b.append("]}").append(hs.hasNext() ? "," : "");
        }
        return b.append("}}").toString();
    }

    /** A whole number without a fraction, else Java's shortest decimal form. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    private static StringBuilder string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"');
    }
}
