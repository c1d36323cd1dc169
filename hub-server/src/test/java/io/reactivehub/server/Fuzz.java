package io.reactivehub.server;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Seeded random input for the fuzz tests (plain JUnit 5, no shrinking). Each try draws from its own
 * {@link SplittableRandom} seeded with {@code base + i}, where {@code base} is the system property
 * {@code fuzz.seed} (default {@link #DEFAULT_SEED}); {@code fuzz.tries} overrides every test's try
 * count. A failing try names its seed: {@code -Dfuzz.seed=<seed> -Dfuzz.tries=1} generates the same
 * input again as the first try (against a fresh server, so state left by earlier tries is gone).
 */
final class Fuzz {
    static final long DEFAULT_SEED = 0x5EED_2024L;

    private final SplittableRandom random;

    Fuzz(long seed) {
        this.random = new SplittableRandom(seed);
    }

    static long baseSeed() {
        String s = System.getProperty("fuzz.seed", "").trim();
        return s.isEmpty() ? DEFAULT_SEED : Long.decode(s);
    }

    static int tries(int defaultTries) {
        String s = System.getProperty("fuzz.tries", "").trim();
        return s.isEmpty() ? defaultTries : Integer.parseInt(s);
    }

    /** Checks one generated input; {@code n} counts tries from 1. */
    @FunctionalInterface
    interface Check<T> {
        void check(int n, T input) throws Exception;
    }

    /**
     * {@code tries} dynamic tests (fewer or more with {@code -Dfuzz.tries}), each generating its
     * input from its own seed and checking it; a failure's message names the seed and the input.
     */
    static <T> Stream<DynamicTest> tries(int tries, Function<Fuzz, T> generate, Check<T> check) {
        long base = baseSeed();
        return IntStream.range(0, tries(tries)).mapToObj(i -> {
            long seed = base + i;
            int n = i + 1;
            return DynamicTest.dynamicTest("try " + n + " (seed " + seed + ")", () -> {
                T input = generate.apply(new Fuzz(seed));
                try {
                    check.check(n, input);
                } catch (Throwable e) {
                    throw new AssertionError(
                            "try " + n + " failed; reproduce with -Dfuzz.seed=" + seed + " -Dfuzz.tries=1\ninput: "
                                    + abbreviate(String.valueOf(input)) + "\n" + e,
                            e);
                }
            });
        });
    }

    private static String abbreviate(String s) {
        return s.length() <= 4000 ? s : s.substring(0, 4000) + "... (" + s.length() + " chars)";
    }

    // --- primitives ---

    boolean bool() {
        return random.nextBoolean();
    }

    /** True with probability {@code numerator / denominator}. */
    boolean chance(int numerator, int denominator) {
        return random.nextInt(denominator) < numerator;
    }

    /** In {@code [min, max]}, the bounds (and 0, if inside) a little more often than the rest. */
    int between(int min, int max) {
        int edge = random.nextInt(20);
        if (edge == 0) {
            return min;
        }
        if (edge == 1) {
            return max;
        }
        if (edge == 2 && min <= 0 && max >= 0) {
            return 0;
        }
        return (int) random.nextLong(min, (long) max + 1);
    }

    long between(long min, long max) {
        int edge = random.nextInt(20);
        if (edge == 0) {
            return min;
        }
        if (edge == 1) {
            return max;
        }
        return max == Long.MAX_VALUE ? random.nextLong(min, max) : random.nextLong(min, max + 1);
    }

    /** Any long, the extremes and small values included. */
    long anyLong() {
        return switch (random.nextInt(8)) {
            case 0 -> pick(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L, 1L, (long) Integer.MAX_VALUE + 1);
            case 1, 2 -> random.nextLong(-1000, 1000);
            default -> random.nextLong();
        };
    }

    /** Any double, special values included (the caller decides what to make of NaN and infinities). */
    double anyDouble() {
        return switch (random.nextInt(8)) {
            case 0 ->
                pick(
                        0.0,
                        -0.0,
                        Double.MIN_VALUE,
                        Double.MAX_VALUE,
                        -Double.MAX_VALUE,
                        Double.NaN,
                        Double.POSITIVE_INFINITY,
                        Double.NEGATIVE_INFINITY);
            case 1, 2 -> random.nextDouble(-1000, 1000);
            default -> Double.longBitsToDouble(random.nextLong());
        };
    }

    @SafeVarargs
    final <T> T pick(T... values) {
        return values[random.nextInt(values.length)];
    }

    <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** An index into {@code weights}, each chosen in proportion to its weight. */
    int weighted(int... weights) {
        int total = IntStream.of(weights).sum();
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        throw new IllegalStateException();
    }

    <T> List<T> list(int min, int max, Supplier<T> element) {
        int size = between(min, max);
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.get());
        }
        return list;
    }

    byte[] bytes(int min, int max) {
        byte[] b = new byte[between(min, max)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    // --- strings ---

    /** Printable and control ASCII ({@code \u0000}–{@code \u007F}). */
    String ascii(int maxLength) {
        return chars(0, maxLength, 0x00, 0x7F);
    }

    String alpha(int maxLength) {
        StringBuilder s = new StringBuilder();
        int length = between(0, maxLength);
        for (int i = 0; i < length; i++) {
            int c = random.nextInt(52);
            s.append((char) (c < 26 ? 'a' + c : 'A' + c - 26));
        }
        return s.toString();
    }

    /** Characters in {@code [from, to]}, each a UTF-16 unit (lone surrogates included if in range). */
    String chars(int minLength, int maxLength, int from, int to) {
        StringBuilder s = new StringBuilder();
        int length = between(minLength, maxLength);
        for (int i = 0; i < length; i++) {
            s.append((char) between(from, to));
        }
        return s.toString();
    }

    /** Any UTF-16 units at all: controls, non-ASCII, lone surrogates (encoded to UTF-8 as '?'). */
    String anyChars(int minLength, int maxLength) {
        StringBuilder s = new StringBuilder();
        int length = between(minLength, maxLength);
        while (s.length() < length) {
            if (random.nextInt(8) == 0 && length - s.length() >= 2) {
                s.appendCodePoint(random.nextInt(0x10000, 0x110000)); // a proper pair: emoji and such
                continue;
            }
            char c = switch (random.nextInt(6)) {
                case 0 -> pick('"', '\\', '\u0000', '\n', '{', '}', '[', ']', ',', ':', '\uFEFF', '\uFFFF');
                case 1 -> (char) random.nextInt(0xD800, 0xE000); // surrogates, paired or not
                case 2 -> (char) random.nextInt(0x20, 0x7F);
                default -> (char) random.nextInt(0x10000);
            };
            s.append(c);
        }
        return s.toString();
    }
}
