package dev.jslirp.bench.soak;

/**
 * The least-squares line through points (t, y): its slope, and the growth it fits across
 * the points' time span. A series that only wanders around a level has a slope near zero
 * however noisy it is; one that creeps up by a little per minute, as a leak does, has a
 * positive one even when each step is lost in the noise.
 *
 * @param perSecond the slope, y units per second; NaN with fewer than two distinct times
 * @param span      the time from the first point to the last, seconds
 */
public record Slope(double perSecond, double span) {
    /** Fits {@code y} against {@code t} (seconds); both the same length. */
    public static Slope fit(double[] t, double[] y) {
        if (t.length != y.length) {
            throw new IllegalArgumentException("t has " + t.length + " points, y " + y.length);
        }
        int n = t.length;
        if (n < 2) {
            return new Slope(Double.NaN, 0);
        }
        double meanT = 0;
        double meanY = 0;
        for (int i = 0; i < n; i++) {
            meanT += t[i];
            meanY += y[i];
        }
        meanT /= n;
        meanY /= n;
        // Centred sums: no cancellation when t is large (seconds since the epoch, say).
        double stt = 0;
        double sty = 0;
        for (int i = 0; i < n; i++) {
            stt += (t[i] - meanT) * (t[i] - meanT);
            sty += (t[i] - meanT) * (y[i] - meanY);
        }
        double span = t[n - 1] - t[0];
        return new Slope(stt == 0 ? Double.NaN : sty / stt, span);
    }

    /** The slope per hour. */
    public double perHour() {
        return perSecond * 3600;
    }

    /** What the line rises across the points' span: the growth the fit attributes to it. */
    public double growth() {
        return perSecond * span;
    }
}
