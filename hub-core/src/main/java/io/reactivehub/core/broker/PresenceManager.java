package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import java.util.List;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Who is subscribed to which channel: the in-process {@link LocalPresenceManager}, or
 * {@code RedisPresenceManager} (every node's clients, each entry expiring unless its node keeps
 * refreshing it). Entries are keyed by {@link ClientInfo#client()}. No method blocks; every
 * {@code Mono} is lazy: nothing happens until it is subscribed. Announcing joins and leaves is the {@link Broker}'s job.
 */
public interface PresenceManager extends Disposable {

    /** Adds (or refreshes) a client's entry in the channel. */
    Mono<Void> add(ChannelName channel, ClientInfo client);

    /** Removes a client's entry; completes with whether it was there. */
    Mono<Boolean> remove(ChannelName channel, ClientInfo client);

    /** Who is in the channel now, on every node this manager covers. */
    Mono<List<ClientInfo>> presence(ChannelName channel);
}
