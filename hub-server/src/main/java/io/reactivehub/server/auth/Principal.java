package io.reactivehub.server.auth;

import io.reactivehub.core.ChannelName;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Who a connection is and what it may do, from its verified token. Channel patterns are exact
 * names or a prefix ending in {@code *} ({@code chat:*} matches {@code chat:room}; {@code *} matches
 * every channel). Immutable.
 *
 * @param subject   the token's {@code sub}
 * @param subscribe patterns of channels it may subscribe to (claim {@code subs})
 * @param publish   patterns of channels it may publish to (claim {@code pubs})
 * @param expiresAt when the token expires (claim {@code exp})
 */
public record Principal(String subject, List<String> subscribe, List<String> publish, Instant expiresAt) {
    public Principal {
        Objects.requireNonNull(subject, "subject");
        subscribe = List.copyOf(subscribe);
        publish = List.copyOf(publish);
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public boolean maySubscribe(ChannelName channel) {
        return matches(subscribe, channel.value());
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
