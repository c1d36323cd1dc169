package io.reactivehub.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A validated channel name: 1 to {@value #MAX_LENGTH} characters from {@code A-Z a-z 0-9}
 * and {@code _ - . : @ = ~}, and at most one {@code #} that is not the last character. The set
 * keeps names safe in JSON and Redis keys without escaping, and in URL paths but for the {@code #}
 * (sent as {@code %23}). A name with a {@code #} is a user's personal channel: the part after it
 * is the only user id whose connections may subscribe ({@code notifications#alice}:
 * {@link #owner()} is {@code alice}). Immutable and thread-safe.
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

    /** The separator of a personal channel's owner. */
    public static final char OWNER_SEPARATOR = '#';

    /**
     * The user whose connections alone may subscribe to this channel: what follows the
     * {@code #}; null for a channel without one (anyone the other checks allow).
     */
    public @Nullable String owner() {
        int hash = value.indexOf(OWNER_SEPARATOR);
        return hash < 0 ? null : value.substring(hash + 1);
    }

    /** {@code prefix#user}, validated. */
    public static ChannelName personal(String prefix, String user) {
        return of(prefix + OWNER_SEPARATOR + user);
    }

    private static @Nullable String problem(String value) {
        if (value.isEmpty()) {
            return "channel name is empty";
        }
        if (value.length() > MAX_LENGTH) {
            return "channel name is longer than " + MAX_LENGTH + " characters";
        }
        boolean owner = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == OWNER_SEPARATOR) {
                if (owner) {
                    return "channel name has a second '#' at index " + i;
                }
                if (i == value.length() - 1) {
                    return "channel name ends with '#': a personal channel names its user after it";
                }
                owner = true;
            } else if (!allowed(c)) {
                return "channel name has a character outside [A-Za-z0-9_-.:@=~#] at index " + i;
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
