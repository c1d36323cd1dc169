package io.reactivehub.server;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelPage;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.NodeInfo;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PublishResult;
import io.reactivehub.server.session.DisconnectReason;
import io.reactivehub.server.session.UserControl;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The server API's operations in Java ({@link HubServer#control()}); the HTTP server API is a thin
 * layer over it. With Redis every operation acts on all nodes: user commands travel the hub's
 * control channel ({@link Hub#sendControl}, at most once, not acknowledged: the Mono completes
 * once the command is sent), node and channel lists come from every live node. Without Redis they
 * act on this node. Thread-safe; nothing blocks.
 */
public final class HubControl {
    /** The most channels one broadcast publishes to. */
    public static final int MAX_BROADCAST_CHANNELS = 100;
    /** The longest user id a command takes. */
    public static final int MAX_USER_LENGTH = 256;

    private final Hub hub;

    public HubControl(Hub hub) {
        this.hub = Objects.requireNonNull(hub, "hub");
    }

    /** One channel's outcome of a broadcast: its publish result, or why it failed. */
    public record Published(
            ChannelName channel,
            @Nullable PublishResult result,
            @Nullable HubException error) {}

    /** Connections and distinct users in a channel's presence, on every node. */
    public record PresenceStats(int connections, int users) {}

    /** Publishes JSON data to one channel. */
    public Mono<PublishResult> publish(ChannelName channel, byte[] json) {
        return hub.publish(channel, json, PayloadType.JSON);
    }

    /**
     * Publishes the same JSON data to each channel (at most {@value #MAX_BROADCAST_CHANNELS},
     * duplicates refused), one after the other; a channel's failure does not stop the others.
     */
    public Mono<List<Published>> broadcast(List<ChannelName> channels, byte[] json) {
        if (channels.isEmpty() || channels.size() > MAX_BROADCAST_CHANNELS) {
            return Mono.error(new HubException(
                    ErrorCode.INVALID_FIELD, "'channels' must hold 1 to " + MAX_BROADCAST_CHANNELS + " channels"));
        }
        if (new HashSet<>(channels).size() != channels.size()) {
            return Mono.error(new HubException(ErrorCode.INVALID_FIELD, "'channels' holds a channel twice"));
        }
        return Flux.fromIterable(channels)
                .concatMap(c -> hub.publish(c, json, PayloadType.JSON)
                        .map(r -> new Published(c, r, null))
                        .onErrorResume(HubException.class, e -> Mono.just(new Published(c, null, e))))
                .collectList();
    }

    /** Subscribes every connection of {@code user} (hub protocol) to the channel, on every node. */
    public Mono<Void> subscribe(String user, ChannelName channel) {
        return Mono.defer(() -> send(UserControl.subscribe(checkedUser(user), channel)));
    }

    /** Ends the subscriptions of every connection of {@code user} to the channel, on every node. */
    public Mono<Void> unsubscribe(String user, ChannelName channel) {
        return Mono.defer(() -> send(UserControl.unsubscribe(checkedUser(user), channel)));
    }

    /** Closes every connection of {@code user}, on every node, with a code of 4000-4999. */
    public Mono<Void> disconnect(String user, DisconnectReason reason) {
        Objects.requireNonNull(reason, "reason");
        if (reason.code() < CloseCodes.SERVER_DISCONNECT_MIN || reason.code() > CloseCodes.SERVER_DISCONNECT_MAX) {
            return Mono.error(new HubException(
                    ErrorCode.INVALID_FIELD,
                    "'code' must be " + CloseCodes.SERVER_DISCONNECT_MIN + " to " + CloseCodes.SERVER_DISCONNECT_MAX));
        }
        return Mono.defer(() -> send(UserControl.disconnect(checkedUser(user), reason)));
    }

    /**
     * Gives every connection of {@code user}, on every node, a new expiry: at that time it closes
     * with 4003 (or asks the refresh hook, for a connection the connect hook allowed).
     */
    public Mono<Void> refresh(String user, Instant expiresAt) {
        Objects.requireNonNull(expiresAt, "expiresAt");
        return Mono.defer(() -> send(UserControl.refresh(checkedUser(user), expiresAt)));
    }

    /** Active channels with subscriber counts over every node, a page at a time. */
    public Mono<ChannelPage> channels(ChannelQuery query) {
        return hub.channels(query);
    }

    /** The channel's presence counted: connections and distinct users (the list stays here). */
    public Mono<PresenceStats> presenceStats(ChannelName channel) {
        return hub.presence(channel).map(clients -> {
            Set<String> users = new HashSet<>();
            for (ClientInfo c : clients) {
                if (c.user() != null && !c.user().isEmpty()) {
                    users.add(c.user());
                }
            }
            return new PresenceStats(clients.size(), users.size());
        });
    }

    /** The live nodes: id, connections, users, channels, uptime, version. */
    public Mono<List<NodeInfo>> info() {
        return hub.nodes();
    }

    private Mono<Void> send(byte[] command) {
        return hub.sendControl(command);
    }

    private static String checkedUser(String user) {
        Objects.requireNonNull(user, "user");
        if (user.isEmpty() || user.length() > MAX_USER_LENGTH) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'user' must be 1 to " + MAX_USER_LENGTH + " characters");
        }
        return user;
    }
}
