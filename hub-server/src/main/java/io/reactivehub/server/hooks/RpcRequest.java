package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * A hub-protocol client's call {@code {"op":"rpc","method":"m","data":...}}, answered by the
 * application without a channel.
 *
 * @param client the connection's id
 * @param user   its user id ("" when anonymous)
 * @param method the method named (1 to 128 characters)
 * @param data   the call's data (JSON null when absent)
 * @param info   the connect hook's info for the connection, or null
 */
public record RpcRequest(
        String client,
        String user,
        String method,
        JsonNode data,
        @Nullable JsonNode info) {}
