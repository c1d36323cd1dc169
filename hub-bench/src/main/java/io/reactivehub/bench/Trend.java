package io.reactivehub.bench;

import java.util.List;

/**
 * Whether one sampled series stayed flat: the mean of its second half against the mean of its
 * first half, within {@code max(relative x first-half mean, absolute)}; the least-squares slope
 * over the whole series is reported beside it.
 */
record Trend(double firstHalf, double secondHalf, double tolerance, double slopePerMinute, boolean flat) {

    /** @param values samples taken every {@code intervalSeconds}, already past the warm-up */
    static Trend of(List<Long> values, double intervalSeconds, double relative, double absolute) {
        int n = values.size();
        if (n < 4) {
            return new Trend(Double.NaN, Double.NaN, Double.NaN, Double.NaN, false);
        }
        double first = mean(values.subList(0, n / 2));
        double second = mean(values.subList(n - n / 2, n));
        double tolerance = Math.max(relative * first, absolute);
        double meanX = (n - 1) / 2.0;
        double meanY = mean(values);
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (i - meanX) * (values.get(i) - meanY);
            den += (i - meanX) * (i - meanX);
        }
        double slopePerSample = num / den;
        return new Trend(first, second, tolerance, slopePerSample * 60 / intervalSeconds, second - first <= tolerance);
    }

    private static double mean(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).average().orElse(Double.NaN);
    }
}
