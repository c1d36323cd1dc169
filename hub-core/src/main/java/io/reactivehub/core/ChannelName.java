package io.reactivehub.core;

import java.util.Objects;

/**
 * A validated channel name: 1 to {@value #MAX_LENGTH} characters from {@code A-Z a-z 0-9}
 * and {@code _ - . : @ = ~}. The set keeps names safe in URL paths, JSON and Redis keys without
 * escaping. Immutable and thread-safe.
 *
 * @param value the name itself
 */
public record ChannelName(String value) implements Comparable<ChannelName> {
    /** Longest accepted name, in characters. */
    public static final int MAX_LENGTH = 128;

    public ChannelName {
        Objects.requireNonNull(value, "value");
        String problem = problem(value);
        if (problem != null) {
            throw new HubException(ErrorCode.INVALID_CHANNEL, problem);
        }
    }

    /**
     * Validates and wraps a name.
     *
     * @throws HubException with {@link ErrorCode#INVALID_CHANNEL} when the name is not valid
     */
    public static ChannelName of(String value) {
        return new ChannelName(value);
    }

    /** Whether {@code value} would be accepted by {@link #of(String)}. */
    public static boolean isValid(String value) {
        return value != null && problem(value) == null;
    }

    private static String problem(String value) {
        if (value.isEmpty()) {
            return "channel name is empty";
        }
        if (value.length() > MAX_LENGTH) {
            return "channel name is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!allowed(c)) {
                return "channel name has a character outside [A-Za-z0-9_-.:@=~] at index " + i;
            }
        }
        return null;
    }

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '_'
                || c == '-'
                || c == '.'
                || c == ':'
                || c == '@'
                || c == '='
                || c == '~';
    }

    @Override
    public int compareTo(ChannelName other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
