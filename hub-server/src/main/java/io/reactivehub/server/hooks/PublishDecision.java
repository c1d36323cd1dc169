package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The publish hook's answer.
 *
 * @param allowed whether the message is published
 * @param data    with an allowed one, the data to publish instead of the client's (still within
 *                the maximum message size); null publishes the client's as sent
 * @param reason  with a denied one, the error 112's message
 */
public record PublishDecision(boolean allowed, @Nullable JsonNode data, String reason) {
    public PublishDecision {
        Objects.requireNonNull(reason, "reason");
    }

    public static PublishDecision allow() {
        return new PublishDecision(true, null, "");
    }

    /** Publishes {@code data} instead of what the client sent. */
    public static PublishDecision replace(JsonNode data) {
        return new PublishDecision(true, Objects.requireNonNull(data, "data"), "");
    }

    public static PublishDecision deny(String reason) {
        return new PublishDecision(false, null, reason);
    }
}
