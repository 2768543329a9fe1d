package dev.jslirp.bench.guest;

import java.util.ArrayList;
import java.util.List;

/** The MB/s of one backend and direction: all runs, each boot's first ("cold") and the others ("warm"). */
final class Samples {
    final List<Double> all = new ArrayList<>();
    final List<Double> cold = new ArrayList<>();
    final List<Double> warm = new ArrayList<>();

    void add(boolean first, double mbps) {
        all.add(mbps);
        (first ? cold : warm).add(mbps);
    }

    /** @return the median of {@code values}, NaN if there are none */
    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(d -> d).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
