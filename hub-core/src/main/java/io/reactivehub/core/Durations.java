package io.reactivehub.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** The one way durations are written in options: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT1H}). */
public final class Durations {
    private Durations() {
    }

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

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("bad duration '" + text + "' (e.g. 500ms, 90s, 5m, 2h)");
    }
}
