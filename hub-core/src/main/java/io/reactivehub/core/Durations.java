package io.reactivehub.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** The one way durations are written in options: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT1H}). */
public final class Durations {
    private Durations() {}

    /** @throws IllegalArgumentException saying what is wrong */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw bad(text);
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException | DateTimeParseException e) {
            throw bad(text);
        }
    }

    /** The shortest form {@link #parse} reads back: {@code 500ms}, {@code 25s}, {@code 5m}, {@code 2h}, {@code 1d}. */
    public static String format(Duration duration) {
        long ms = duration.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s != 0 && s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s != 0 && s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("bad duration '" + text + "' (e.g. 500ms, 90s, 5m, 2h)");
    }
}
