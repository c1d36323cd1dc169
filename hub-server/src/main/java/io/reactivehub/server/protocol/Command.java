package io.reactivehub.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.StreamPosition;
import org.jspecify.annotations.Nullable;

/**
 * A hub-protocol command, parsed and validated by {@link CommandParser}. Each carries the client's
 * {@code id} (any JSON value, {@code null} when absent), echoed in the reply.
 */
public sealed interface Command {

    JsonNode id();

    /** {@code {"op":"subscribe","channel":"c","recover":{"offset":7,"epoch":"e"},"joinLeave":true}} */
    record Subscribe(
            JsonNode id, ChannelName channel, @Nullable StreamPosition recover, boolean joinLeave) implements Command {}

    /** {@code {"op":"unsubscribe","channel":"c"}} */
    record Unsubscribe(JsonNode id, ChannelName channel) implements Command {}

    /** {@code {"op":"publish","channel":"c","data":<any JSON>}}; {@code payload} is the data's JSON as UTF-8. */
    record Publish(JsonNode id, ChannelName channel, byte[] payload) implements Command {}

    /** {@code {"op":"history","channel":"c","limit":10,"since":5}} */
    record History(
            JsonNode id,
            ChannelName channel,
            int limit,
            @Nullable Long since) implements Command {}

    /** {@code {"op":"presence","channel":"c"}} */
    record Presence(JsonNode id, ChannelName channel) implements Command {}

    /** {@code {"op":"ping"}} */
    record Ping(JsonNode id) implements Command {}

    /** {@code {"op":"rpc","method":"m","data":<any JSON>}}; {@code data} is JSON null when absent. */
    record Rpc(JsonNode id, String method, JsonNode data) implements Command {}

    /**
     * {@code {"op":"refresh","token":"<jwt>"}}; {@code token} is the field as sent, checked by the
     * protocol once it knows authentication is on.
     */
    record Refresh(JsonNode id, JsonNode token) implements Command {}
}
