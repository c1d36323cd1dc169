package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The subscribe hook's answer.
 *
 * @param allowed whether the subscription goes ahead
 * @param info    with an allowed one, the subscription's info, sent to the client in the
 *                subscribe's reply ({@code "info"}); null for none
 * @param reason  with a denied one, the error 112's message
 */
public record SubscribeDecision(boolean allowed, @Nullable JsonNode info, String reason) {
    public SubscribeDecision {
        Objects.requireNonNull(reason, "reason");
    }

    public static SubscribeDecision allow() {
        return new SubscribeDecision(true, null, "");
    }

    public static SubscribeDecision allow(@Nullable JsonNode info) {
        return new SubscribeDecision(true, info, "");
    }

    public static SubscribeDecision deny(String reason) {
        return new SubscribeDecision(false, null, reason);
    }
}
