package io.reactivehub.core.redis;

import io.lettuce.core.ScriptOutputType;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.broker.PresenceManager;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Presence across nodes, in Redis: per channel a hash (client → user) and a sorted set of expiry
 * times. Each node re-enters its own clients every TTL/3, so the clients of a node that died
 * disappear after the TTL (readers drop expired entries). Made by {@link RedisBroker#presenceManager()}.
 * Thread-safe.
 */
public final class RedisPresenceManager implements PresenceManager {
    private static final Logger log = LoggerFactory.getLogger(RedisPresenceManager.class);

    private final RedisConnections redis;
    private final Duration ttl;
    /** This node's entries, refreshed before they expire (and after Redis lost them). */
    private final ConcurrentHashMap<ChannelName, ConcurrentHashMap<String, ClientInfo>> local =
            new ConcurrentHashMap<>();

    private final Disposable.Swap refresher = Disposables.swap();
    private final AtomicBoolean disposed = new AtomicBoolean();

    RedisPresenceManager(RedisConnections redis, Duration ttl) {
        this.redis = redis;
        this.ttl = ttl;
    }

    /** Starts refreshing this node's entries every TTL/3 (when its broker starts). */
    void startRefreshing() {
        long every = Math.max(200, ttl.toMillis() / 3);
        refresher.update(Schedulers.parallel()
                .schedulePeriodically(() -> refresh().subscribe(null, e -> {}), every, every, TimeUnit.MILLISECONDS));
    }

    @Override
    public Mono<Void> add(ChannelName channel, ClientInfo client) {
        return Mono.defer(() -> {
            // Under the channel's entry: a concurrent remove of the channel's last client cannot
            // drop the map this entry goes into.
            local.compute(channel, (c, clients) -> {
                ConcurrentHashMap<String, ClientInfo> map = clients != null ? clients : new ConcurrentHashMap<>();
                map.put(client.client(), client);
                return map;
            });
            return write(channel, client).then();
        });
    }

    @Override
    public Mono<Boolean> remove(ChannelName channel, ClientInfo client) {
        return Mono.defer(() -> {
            local.computeIfPresent(channel, (c, clients) -> {
                clients.remove(client.client());
                return clients.isEmpty() ? null : clients;
            });
            return delete(channel, client).map(removed -> removed == 1);
        });
    }

    @Override
    public Mono<List<ClientInfo>> presence(ChannelName channel) {
        return redis.<List<Object>>eval(
                        RedisScripts.PRESENCE,
                        ScriptOutputType.MULTI,
                        RedisWire.presenceKeys(RedisWire.tag(channel)),
                        RedisWire.ascii(System.currentTimeMillis()))
                .map(flat -> {
                    List<ClientInfo> clients = new ArrayList<>(flat.size() / 2);
                    for (int i = 0; i + 1 < flat.size(); i += 2) {
                        clients.add(new ClientInfo(
                                RedisWire.text(flat.get(i)), RedisWire.decodeUser((byte[]) flat.get(i + 1))));
                    }
                    return clients;
                });
    }

    private Mono<Long> write(ChannelName channel, ClientInfo client) {
        long ttlMillis = ttl.toMillis();
        return redis.eval(
                RedisScripts.JOIN,
                ScriptOutputType.INTEGER,
                RedisWire.presenceKeys(RedisWire.tag(channel)),
                client.client().getBytes(StandardCharsets.UTF_8),
                RedisWire.encodeUser(client.user()),
                RedisWire.ascii(System.currentTimeMillis() + ttlMillis),
                RedisWire.ascii(Math.max(1, (ttlMillis + 999) / 1000)));
    }

    private Mono<Long> delete(ChannelName channel, ClientInfo client) {
        return redis.eval(
                RedisScripts.LEAVE,
                ScriptOutputType.INTEGER,
                RedisWire.presenceKeys(RedisWire.tag(channel)),
                client.client().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Re-writes this node's entries now, as the periodic refresh does (every TTL/3); completes once
     * Redis has them (failures are ignored: the next refresh tries again). A client removed before
     * or during a refresh is never written back: each entry's write is sent while its map slot is
     * held, and a remove takes the slot before it sends its delete, so the delete follows the write
     * on the same connection.
     */
    public Mono<Void> refresh() {
        List<Mono<Long>> writes = new ArrayList<>();
        local.forEach((channel, clients) -> clients.keySet()
                .forEach(id -> clients.computeIfPresent(id, (k, info) -> {
                    Mono<Long> written = write(channel, info)
                            .onErrorResume(e -> Mono.empty())
                            .cache();
                    written.subscribe(); // sent now, while the slot is held
                    writes.add(written);
                    return info;
                })));
        return Mono.when(writes);
    }

    /** Stops refreshing and removes this node's entries, so a clean shutdown does not wait for the TTL. */
    @Override
    public void dispose() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        refresher.dispose();
        List<Mono<Long>> leaving = new ArrayList<>();
        local.forEach((channel, clients) -> clients.values()
                .forEach(info -> leaving.add(delete(channel, info).onErrorResume(e -> Mono.empty()))));
        try {
            Mono.when(leaving).block(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            log.debug("presence not cleared on shutdown: {}", e.toString());
        }
        local.clear();
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }
}
