package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import org.jspecify.annotations.Nullable;

/**
 * A hub-protocol client publishing.
 *
 * @param client  the connection's id
 * @param user    its user id ("" when anonymous)
 * @param channel the channel
 * @param data    what it publishes
 * @param info    the connect hook's info for the connection, or null
 */
public record PublishRequest(
        String client,
        String user,
        ChannelName channel,
        JsonNode data,
        @Nullable JsonNode info) {}
