package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * A connection whose expiry (from the connect hook, or the last refresh) came.
 *
 * @param client the connection's id
 * @param user   its user id
 * @param info   the connect hook's info, or null
 */
public record RefreshRequest(
        String client, String user, @Nullable JsonNode info) {}
