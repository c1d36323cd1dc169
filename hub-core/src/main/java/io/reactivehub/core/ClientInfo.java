package io.reactivehub.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Who is subscribed: one connection's entry in a channel's presence.
 *
 * @param client the connection's id, unique across nodes
 * @param user   the authenticated user (the token's subject), or null when the hub runs open
 */
public record ClientInfo(String client, @Nullable String user) {
    public ClientInfo {
        Objects.requireNonNull(client, "client");
    }
}
