package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Objects;

/**
 * The rpc hook's answer: the reply's {@code data}, or an error (code 120 with {@code message}).
 *
 * @param ok      whether the call succeeded
 * @param data    with a success, the reply's data
 * @param message with an error, its message
 */
public record RpcResult(boolean ok, JsonNode data, String message) {
    public RpcResult {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(message, "message");
    }

    public static RpcResult reply(JsonNode data) {
        return new RpcResult(true, data, "");
    }

    public static RpcResult error(String message) {
        return new RpcResult(false, NullNode.getInstance(), message);
    }
}
