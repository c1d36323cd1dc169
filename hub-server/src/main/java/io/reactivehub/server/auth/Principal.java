package io.reactivehub.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Who a connection is and what it may do: from its verified token, or from the application's
 * connect hook. Channel patterns are exact names or a prefix ending in {@code *} ({@code chat:*}
 * matches {@code chat:room}; {@code *} matches every channel). Immutable.
 *
 * @param subject   the token's {@code sub}, or the user the connect hook named ("" for anonymous)
 * @param subscribe patterns of channels it may subscribe to (claim {@code subs}; every channel
 *                  for a connection the hook allowed: its subscribe hook decides)
 * @param publish   patterns of channels it may publish to (claim {@code pubs}; every channel for a
 *                  connection the hook allowed: its publish hook decides)
 * @param expiresAt when the token expires (claim {@code exp}), or the expiry the hook set; null never
 * @param fromToken whether a verified token says so (else the connect hook did)
 * @param info      the connect hook's info for the connection, passed to the later hooks; or null
 * @param channels  channels the server subscribes the connection to when it opens (claim
 *                  {@code channels}, or the connect hook's answer)
 */
public record Principal(
        String subject,
        List<String> subscribe,
        List<String> publish,
        @Nullable Instant expiresAt,
        boolean fromToken,
        @Nullable JsonNode info,
        List<ChannelName> channels) {
    public Principal {
        Objects.requireNonNull(subject, "subject");
        subscribe = List.copyOf(subscribe);
        publish = List.copyOf(publish);
        channels = List.copyOf(channels);
        if (fromToken) {
            Objects.requireNonNull(expiresAt, "expiresAt");
        }
    }

    /** From a verified token, without server-side channels. */
    public Principal(String subject, List<String> subscribe, List<String> publish, Instant expiresAt) {
        this(subject, subscribe, publish, expiresAt, true, null, List.of());
    }

    /** A connection the connect hook allowed: every channel, as far as the subscribe and publish hooks agree. */
    public static Principal hooked(
            String user, @Nullable JsonNode info, List<ChannelName> channels, @Nullable Instant expiresAt) {
        return new Principal(user, List.of("*"), List.of("*"), expiresAt, false, info, channels);
    }

    /** The same principal with another expiry (the refresh hook extended it). */
    public Principal expiringAt(Instant next) {
        return new Principal(subject, subscribe, publish, next, fromToken, info, channels);
    }

    /**
     * Whether the channel is not another user's: a personal channel ({@code name#user}) is only
     * for connections of that user.
     */
    public boolean owns(ChannelName channel) {
        String owner = channel.owner();
        return owner == null || owner.equals(subject);
    }

    /** The personal-channel rule ({@link #owns}) and the subscribe patterns. */
    public boolean maySubscribe(ChannelName channel) {
        return owns(channel) && matches(subscribe, channel.value());
    }

    public boolean mayPublish(ChannelName channel) {
        return matches(publish, channel.value());
    }

    private static boolean matches(List<String> patterns, String channel) {
        for (String pattern : patterns) {
            if (pattern.endsWith("*")
                    ? channel.startsWith(pattern.substring(0, pattern.length() - 1))
                    : pattern.equals(channel)) {
                return true;
            }
        }
        return false;
    }
}
