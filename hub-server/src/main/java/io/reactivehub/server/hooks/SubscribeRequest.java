package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import org.jspecify.annotations.Nullable;

/**
 * A hub-protocol client asking to subscribe to a channel its token (if any) does not allow.
 *
 * @param client  the connection's id
 * @param user    its user id ("" when anonymous)
 * @param channel the channel
 * @param info    the connect hook's info for the connection, or null
 */
public record SubscribeRequest(
        String client,
        String user,
        ChannelName channel,
        @Nullable JsonNode info) {}
