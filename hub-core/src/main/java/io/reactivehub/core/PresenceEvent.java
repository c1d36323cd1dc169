package io.reactivehub.core;

import java.util.Objects;

/**
 * A client joined or left a channel (sent to the channel's subscribers when the channel's
 * {@link ChannelOptions#joinLeave()} is on).
 */
public record PresenceEvent(boolean joined, ClientInfo client) {
    public PresenceEvent {
        Objects.requireNonNull(client, "client");
    }
}
