package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/**
 * Presence of one node's clients, in memory. Thread-safe; a channel's entry map is removed with
 * its last client, so memory follows the live subscriptions.
 */
public final class LocalPresenceManager implements PresenceManager {
    private final ConcurrentHashMap<ChannelName, ConcurrentHashMap<String, ClientInfo>> channels =
            new ConcurrentHashMap<>();
    private volatile boolean disposed;

    @Override
    public Mono<Void> add(ChannelName channel, ClientInfo client) {
        return Mono.fromRunnable(() -> channels.computeIfAbsent(channel, c -> new ConcurrentHashMap<>())
                .put(client.client(), client));
    }

    @Override
    public Mono<Boolean> remove(ChannelName channel, ClientInfo client) {
        return Mono.fromSupplier(() -> {
            boolean[] removed = new boolean[1];
            channels.computeIfPresent(channel, (c, clients) -> {
                removed[0] = clients.remove(client.client()) != null;
                return clients.isEmpty() ? null : clients;
            });
            return removed[0];
        });
    }

    @Override
    public Mono<List<ClientInfo>> presence(ChannelName channel) {
        return Mono.fromSupplier(() -> {
            ConcurrentHashMap<String, ClientInfo> clients = channels.get(channel);
            return clients == null ? List.<ClientInfo>of() : List.copyOf(clients.values());
        });
    }

    @Override
    public void dispose() {
        disposed = true;
        channels.clear();
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }
}
