package io.reactivehub.core.redis;

import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.broker.Broker;
import io.reactivehub.core.broker.BrokerListener;
import io.reactivehub.core.broker.Epochs;
import io.reactivehub.core.broker.NodeBus;
import io.reactivehub.core.broker.OccupancyTracker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Several hub nodes sharing channels through Redis (standalone, or Redis Cluster with sharded
 * pub/sub). A publish runs one script that numbers the message, appends it to the channel's history
 * stream and publishes it, atomically; each node subscribes only to channels that have local
 * subscribers and hands what arrives to its hub. Its {@link #presenceManager()} keeps presence in
 * the same Redis, and its {@link #occupancyTracker()} the occupancy of every node.
 *
 * <p>Faults: while Redis is unreachable, commands fail with {@code UNAVAILABLE} (see
 * {@link RedisConnections}). When a pub/sub connection comes back, the node subscribes again to its
 * channels and reports each as {@link BrokerListener#onInterrupted} (what was published meanwhile
 * did not reach it). A gap in a channel's offsets or a changed epoch (Redis lost the channel's
 * data) is reported the same way.
 */
public final class RedisBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);

    /**
     * How a broker connects and keeps presence.
     *
     * @param commandTimeout how long a Redis command may take before it fails with {@code UNAVAILABLE}
     * @param presenceTtl    how long a presence entry lives unless its node refreshes it (every TTL/3)
     * @param nodeTtl        how long a node's entry (listed by {@code Hub.nodes()}) lives unless the
     *                       node refreshes it (every TTL/3); {@link #DEFAULT_NODE_TTL} by default
     */
    public record Options(Duration commandTimeout, Duration presenceTtl, Duration nodeTtl) {
        public static final Duration DEFAULT_NODE_TTL = Duration.ofSeconds(15);
        public static final Options DEFAULT = new Options(Duration.ofSeconds(5), Duration.ofSeconds(60));

        public Options {
            Objects.requireNonNull(commandTimeout, "commandTimeout");
            Objects.requireNonNull(presenceTtl, "presenceTtl");
            Objects.requireNonNull(nodeTtl, "nodeTtl");
        }

        /** With the default node TTL. */
        public Options(Duration commandTimeout, Duration presenceTtl) {
            this(commandTimeout, presenceTtl, DEFAULT_NODE_TTL);
        }
    }

    private final RedisConnections redis;
    private final RedisPresenceManager presence;
    private final RedisOccupancyTracker occupancy;
    private final RedisNodeBus nodes;
    /**
     * How long a channel's numbering outlives its last publish, subscriber or history: the
     * presence TTL; subscribed nodes renew it every third of that.
     */
    private final Duration lease;

    private final Duration commandTimeout;

    private final Disposable.Swap toucher = Disposables.swap();
    /** Channels this node subscribes to, by pub/sub channel name. */
    private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>();

    private final AtomicBoolean disposing = new AtomicBoolean();
    private volatile @Nullable BrokerListener listener;

    private RedisBroker(List<RedisURI> uris, Options options) {
        this.redis = RedisConnections.connect(uris, options.commandTimeout(), this::onPubSub, this::resubscribe);
        this.presence = new RedisPresenceManager(redis, options.presenceTtl());
        this.occupancy = new RedisOccupancyTracker(redis, options.presenceTtl());
        this.nodes = new RedisNodeBus(redis, options.nodeTtl(), options.commandTimeout(), occupancy.node());
        this.lease = options.presenceTtl();
        this.commandTimeout = options.commandTimeout();
    }

    /**
     * Connects to Redis (blocking: call it at startup, not on an event loop). Several URIs name seed
     * nodes of one Redis Cluster; one URI may be a standalone server or a cluster node (detected).
     *
     * @throws RedisException when Redis cannot be reached
     */
    public static RedisBroker connect(List<RedisURI> uris, Options options) {
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no Redis URI");
        }
        return new RedisBroker(uris, Objects.requireNonNull(options, "options"));
    }

    /** Parses {@code redis://host:port[,redis://host:port...]} (or {@code host:port} items). */
    public static List<RedisURI> parseUris(String text) {
        List<RedisURI> uris = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (!p.isEmpty()) {
                uris.add(RedisURI.create(p.contains("://") ? p : "redis://" + p));
            }
        }
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no Redis URI in '" + text + "'");
        }
        return uris;
    }

    /** Whether this broker talks to a Redis Cluster (sharded pub/sub). */
    public boolean isCluster() {
        return redis.isCluster();
    }

    /** Presence kept in the same Redis, shared by every node, over this broker's connections. */
    @Override
    public RedisPresenceManager presenceManager() {
        return presence;
    }

    /**
     * Occupancy in the same Redis, shared by every node, under the presence TTL as each node's
     * lease (see {@link RedisOccupancyTracker}).
     */
    @Override
    public OccupancyTracker occupancyTracker() {
        return occupancy;
    }

    /** The nodes on the same Redis: node entries with a TTL and the control channel ({@link RedisNodeBus}). */
    @Override
    public NodeBus nodeBus(String nodeId) {
        return nodes;
    }

    @Override
    public void start(BrokerListener listener) {
        this.listener = listener;
        presence.startRefreshing();
        // Waited for (at startup, like connecting): once the hub exists, it hears every node's events.
        try {
            redis.subscribe(RedisWire.OCCUPANCY_EVENTS)
                    .toCompletableFuture()
                    .get(commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("occupancy events of other nodes not received until Redis confirms: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        occupancy.start();
        long every = Math.max(200, lease.toMillis() / 3);
        toucher.update(Schedulers.parallel().schedulePeriodically(this::touch, every, every, TimeUnit.MILLISECONDS));
    }

    /**
     * Renews the numbering of every channel this node subscribes to, so it lives while anyone
     * listens (a quiet channel without history would otherwise lose its epoch under its
     * subscribers) and for at most one lease after.
     */
    private void touch() {
        byte[] leaseSeconds = RedisWire.ascii(leaseSeconds());
        for (String key : subscriptions.keySet()) {
            redis.<Long>eval(RedisScripts.TOUCH, ScriptOutputType.INTEGER, RedisWire.metaKeys(key), leaseSeconds)
                    .subscribe(null, e -> log.debug("could not renew the numbering of {}: {}", key, e.toString()));
        }
    }

    private long leaseSeconds() {
        return Math.max(1, (lease.toMillis() + 999) / 1000);
    }

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type, ChannelOptions options) {
        String tag = RedisWire.tag(channel);
        return redis.<List<Object>>evalWrite(
                        RedisScripts.PUBLISH,
                        ScriptOutputType.MULTI,
                        RedisWire.streamKeys(tag),
                        payload,
                        new byte[] {RedisWire.typeCode(type)},
                        RedisWire.ascii(options.historySize()),
                        RedisWire.ascii(Math.max(1, options.historyTtl().toSeconds())),
                        RedisWire.ascii(Epochs.next()),
                        RedisWire.ascii(metaTtlSeconds(options)),
                        redis.publishCommand(),
                        RedisWire.ascii(tag))
                .map(reply -> {
                    long offset = (Long) reply.get(0);
                    String epoch = RedisWire.text(reply.get(1));
                    long receivers = (Long) reply.get(2);
                    return new PublishResult((int) Math.min(Integer.MAX_VALUE, receivers), offset, epoch);
                });
    }

    @Override
    public Mono<Void> announce(ChannelName channel, PresenceEvent event) {
        String tag = RedisWire.tag(channel);
        return redis.<Long>eval(
                        RedisScripts.ANNOUNCE,
                        ScriptOutputType.INTEGER,
                        RedisWire.presenceKeys(tag),
                        redis.publishCommand(),
                        RedisWire.ascii(tag),
                        RedisWire.announcement(event))
                .then();
    }

    @Override
    public Mono<Void> subscribe(ChannelName channel, ChannelOptions options) {
        String key = RedisWire.tag(channel);
        subscriptions.put(key, new Subscription(channel));
        return Mono.fromFuture(redis.subscribe(key).toCompletableFuture(), true).onErrorMap(redis::unavailable);
    }

    @Override
    public void unsubscribe(ChannelName channel) {
        String key = RedisWire.tag(channel);
        subscriptions.remove(key);
        redis.unsubscribe(key).whenComplete((ok, e) -> {
            if (e != null) {
                log.debug("unsubscribe from {} failed (the reconnect drops it anyway): {}", key, e.toString());
            }
        });
    }

    /**
     * After a reconnect: subscribe again to every affected channel that has local subscribers, then
     * report each as interrupted, since whatever was published while this node was cut off never
     * reached it (its subscribers recover it from the history, where it survived).
     */
    private void resubscribe(Predicate<String> affected) {
        nodes.resubscribe(affected);
        if (redis.isClosed()) {
            return;
        }
        if (affected.test(RedisWire.OCCUPANCY_EVENTS)) {
            redis.subscribe(RedisWire.OCCUPANCY_EVENTS).whenComplete((ok, e) -> {
                if (e != null) {
                    log.warn("could not subscribe again to occupancy events: {}", e.toString());
                }
            });
        }
        if (subscriptions.isEmpty()) {
            return;
        }
        log.info("Redis connection back: subscribing again to this node's channels");
        for (Map.Entry<String, Subscription> entry : subscriptions.entrySet()) {
            String key = entry.getKey();
            if (!affected.test(key)) {
                continue;
            }
            Subscription subscription = entry.getValue();
            redis.subscribe(key).whenComplete((ok, e) -> {
                if (e != null) {
                    log.warn("could not subscribe again to {}: {}", key, e.toString());
                    return;
                }
                BrokerListener l = listener;
                if (l != null && subscriptions.get(key) == subscription) {
                    l.onInterrupted(subscription.channel);
                }
            });
        }
    }

    /** On a Lettuce event loop: one pub/sub connection per shard, so one channel's messages in order. */
    private void onPubSub(String key, byte[] body) {
        if (key.equals(RedisWire.OCCUPANCY_EVENTS)) {
            occupancy.onPubSub(body);
            return;
        }
        if (RedisNodeBus.owns(key)) {
            nodes.onPubSub(key, body);
            return;
        }
        Subscription subscription = subscriptions.get(key);
        BrokerListener l = listener;
        if (subscription == null || l == null || body.length == 0) {
            return;
        }
        RedisWire.Body decoded;
        try {
            decoded = RedisWire.decode(body);
        } catch (RuntimeException e) {
            log.error("dropping a malformed message on {} ({} bytes)", key, body.length, e);
            return;
        }
        if (decoded instanceof RedisWire.Announced announced) {
            PresenceEvent event = announced.event();
            if (event.joined()) {
                l.onJoin(subscription.channel, event.client());
            } else {
                l.onLeave(subscription.channel, event.client());
            }
        } else if (decoded instanceof RedisWire.Published m && subscription.follows(m, l)) {
            l.onMessage(new Message(subscription.channel, m.offset(), m.epoch(), m.payload(), m.type()));
        }
    }

    @Override
    public Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit, ChannelOptions options) {
        String tag = RedisWire.tag(channel);
        return redis.<List<Object>>eval(
                        RedisScripts.HISTORY,
                        ScriptOutputType.MULTI,
                        RedisWire.streamKeys(tag),
                        since == null ? new byte[] {'-'} : RedisWire.ascii(since),
                        RedisWire.ascii(Math.max(0, limit)),
                        RedisWire.ascii(Epochs.next()),
                        RedisWire.ascii(metaTtlSeconds(options)))
                .map(reply -> {
                    long top = (Long) reply.get(0);
                    String epoch = RedisWire.text(reply.get(1));
                    List<?> entries = (List<?>) reply.get(2);
                    List<Message> messages = new ArrayList<>(entries.size());
                    for (Object entry : entries) {
                        messages.add(RedisWire.historyEntry(channel, epoch, (List<?>) entry));
                    }
                    if (since == null) {
                        Collections.reverse(messages); // XREVRANGE: newest first
                    }
                    return new HistoryResult(new StreamPosition(top, epoch), messages);
                });
    }

    /** A channel with history keeps its numbering as long as its history; any other one a lease. */
    private long metaTtlSeconds(ChannelOptions options) {
        return options.historySize() > 0 ? Math.max(1, options.historyTtl().toSeconds()) : leaseSeconds();
    }

    @Override
    public void dispose() {
        if (disposing.compareAndSet(false, true)) {
            toucher.dispose();
            occupancy.dispose(); // idempotent, as presence and the node bus: the hub has normally disposed them
            nodes.dispose();
            presence.dispose();
            redis.close();
        }
    }

    @Override
    public boolean isDisposed() {
        return redis.isClosed();
    }

    /** False while the command or pub/sub connection to Redis is down (Lettuce is reconnecting), and once disposed. */
    @Override
    public boolean isAvailable() {
        return redis.isConnected();
    }

    /** One channel this node subscribes to, and the last position it delivered (pub/sub thread only). */
    private static final class Subscription {
        final ChannelName channel;

        @Nullable
        String epoch;

        long lastOffset;

        Subscription(ChannelName channel) {
            this.channel = channel;
        }

        /**
         * Whether a message is new; reports an interruption first when it does not follow the last
         * one (a gap, or another epoch: Redis lost the channel's data).
         */
        boolean follows(RedisWire.Published m, BrokerListener l) {
            String lastEpoch = epoch;
            if (lastEpoch != null) {
                if (lastEpoch.equals(m.epoch()) && m.offset() <= lastOffset) {
                    return false; // seen already
                }
                if (!lastEpoch.equals(m.epoch()) || m.offset() != lastOffset + 1) {
                    log.warn(
                            "channel {}: messages lost on their way to this node (had {}#{}, got {}#{})",
                            channel,
                            lastEpoch,
                            lastOffset,
                            m.epoch(),
                            m.offset());
                    l.onInterrupted(channel);
                }
            }
            epoch = m.epoch();
            lastOffset = m.offset();
            return true;
        }
    }
}
