package dev.jslirp.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The least-squares slope the soak judges growth by. */
class SlopeTest {
    @Test
    void straightLineGivesItsSlopeAndGrowthExactly() {
        double[] t = {0, 5, 10, 15, 20};
        double[] y = {100, 102.5, 105, 107.5, 110};     // 0.5 per second
        Slope s = Slope.fit(t, y);
        assertThat(s.perSecond()).isCloseTo(0.5, within(1e-12));
        assertThat(s.perHour()).isCloseTo(1800, within(1e-9));
        assertThat(s.span()).isEqualTo(20);
        assertThat(s.growth()).isCloseTo(10, within(1e-9));
    }

    /** Far from zero in time (seconds since the epoch, say): the centred sums keep it exact. */
    @Test
    void largeTimesDoNotLosePrecision() {
        double t0 = 1.7e9;
        double[] t = {t0, t0 + 5, t0 + 10, t0 + 15};
        double[] y = {1, 2, 3, 4};
        assertThat(Slope.fit(t, y).perSecond()).isCloseTo(0.2, within(1e-9));
    }

    /** A level with noise, but no trend, fits a slope near zero; the same noise on a creeping line shows the creep. */
    @Test
    void noiseAroundALevelIsFlatAndASmallCreepUnderNoiseIsFound() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 180;                                      // a second half of 15 minutes, every 5 s
        double[] t = new double[n];
        double[] flat = new double[n];
        double[] creeping = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = i * 5;
            double noise = r.nextDouble(-20, 20);
            flat[i] = 300 + noise;
            creeping[i] = 300 + noise + i * 5 * (40.0 / 900);   // +40 over the 15 minutes
        }
        assertThat(Slope.fit(t, flat).growth()).isBetween(-8.0, 8.0);
        assertThat(Slope.fit(t, creeping).growth()).isBetween(32.0, 48.0);
    }

    @Test
    void fewerThanTwoTimesHaveNoSlope() {
        assertThat(Slope.fit(new double[] {1}, new double[] {5}).perSecond()).isNaN();
        assertThat(Slope.fit(new double[] {3, 3}, new double[] {1, 9}).perSecond()).isNaN();
        assertThatThrownBy(() -> Slope.fit(new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
