package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The connect hook's answer: {@link #allow} (with the user and what comes with it) or {@link #refuse}. */
public sealed interface ConnectResult {
    /** Longest accepted user id, in characters. */
    int MAX_USER_LENGTH = 256;
    /** The close code of a refusal that names none. */
    int DEFAULT_REFUSAL_CODE = 4006;
    /** The range of close codes a refusal may choose (besides {@link #DEFAULT_REFUSAL_CODE}). */
    int MIN_APPLICATION_CODE = 4100;

    int MAX_APPLICATION_CODE = 4499;

    /** Allows the connection as {@code user} ("" for an anonymous one): no info, no channels, no expiry. */
    static Allow allow(String user) {
        return new Allow(user, null, List.of(), null);
    }

    /** Refuses the connection: it is closed at once with 4006 and {@code reason}. */
    static Refuse refuse(String reason) {
        return new Refuse(DEFAULT_REFUSAL_CODE, reason);
    }

    /**
     * Allowed.
     *
     * @param user      the user id ("" for anonymous: no personal channels, no per-user limit);
     *                  at most {@value #MAX_USER_LENGTH} characters, no control characters
     * @param info      anything the application wants to know about the connection later: passed
     *                  to its refresh, subscribe, publish and rpc hooks; null for none
     * @param channels  channels the server subscribes the connection to at once (server-side
     *                  subscriptions, pushed without a subscribe), within the subscription limit
     * @param expiresAt when the connection expires: then the refresh hook extends it or it is
     *                  closed with 4003; null never
     */
    record Allow(
            String user,
            @Nullable JsonNode info,
            List<ChannelName> channels,
            @Nullable Instant expiresAt) implements ConnectResult {
        public Allow {
            Objects.requireNonNull(user, "user");
            if (user.length() > MAX_USER_LENGTH) {
                throw new IllegalArgumentException("a user id is at most " + MAX_USER_LENGTH + " characters");
            }
            for (int i = 0; i < user.length(); i++) {
                if (Character.isISOControl(user.charAt(i))) {
                    throw new IllegalArgumentException("a user id has no control characters");
                }
            }
            channels = List.copyOf(channels);
        }

        public Allow withInfo(@Nullable JsonNode value) {
            return new Allow(user, value, channels, expiresAt);
        }

        public Allow withChannels(List<ChannelName> value) {
            return new Allow(user, info, value, expiresAt);
        }

        public Allow expiringAt(@Nullable Instant value) {
            return new Allow(user, info, channels, value);
        }
    }

    /**
     * Refused: the connection is upgraded and closed at once with {@code code} and {@code reason}
     * (a browser sees close codes, not HTTP statuses).
     *
     * @param code   {@value #DEFAULT_REFUSAL_CODE}, or one of the application's from
     *               {@value #MIN_APPLICATION_CODE} to {@value #MAX_APPLICATION_CODE}
     * @param reason sent with the close (cut to 123 bytes)
     */
    record Refuse(int code, String reason) implements ConnectResult {
        public Refuse {
            Objects.requireNonNull(reason, "reason");
            if (code != DEFAULT_REFUSAL_CODE && (code < MIN_APPLICATION_CODE || code > MAX_APPLICATION_CODE)) {
                throw new IllegalArgumentException("a refusal's close code is " + DEFAULT_REFUSAL_CODE + " or within "
                        + MIN_APPLICATION_CODE + ".." + MAX_APPLICATION_CODE + ", was " + code);
            }
        }
    }
}
