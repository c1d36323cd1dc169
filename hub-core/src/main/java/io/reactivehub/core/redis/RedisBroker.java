package io.reactivehub.core.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.reactivehub.core.Broker;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.HubException;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.StreamPosition;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Several hub nodes sharing channels through Redis (standalone, or Redis Cluster with sharded
 * pub/sub). A publish runs one script that numbers the message, appends it to the channel's history
 * stream and publishes it, atomically; each node subscribes (SUBSCRIBE, or SSUBSCRIBE on the
 * owning shard of a cluster) only to channels that have local subscribers and hands what arrives
 * to its hub. Presence lives in Redis with a TTL that every node refreshes for its own clients, so
 * the clients of a node that died disappear after the TTL.
 *
 * <p>Faults: while Redis is unreachable, commands fail ({@link ErrorCode#UNAVAILABLE}) at once on a
 * standalone Redis, after the command timeout on a cluster; the client reconnects by itself (100 ms to 2 s backoff) and the node
 * subscribes again to all its channels and reports each as {@link Broker.Delivery#interrupted}
 * (what was published meanwhile did not reach it). A gap in a channel's offsets or a changed epoch
 * (Redis lost the channel's data) is reported the same way.
 */
public final class RedisBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    /** Offsets and epochs outlive history: a quiet channel keeps its numbering this long. */
    private static final long META_TTL_SECONDS = Duration.ofDays(1).toSeconds();

    /** How a broker connects and keeps presence. */
    public record Options(Duration commandTimeout, Duration presenceTtl) {
        public static final Options DEFAULT = new Options(Duration.ofSeconds(5), Duration.ofSeconds(60));

        public Options {
            Objects.requireNonNull(commandTimeout, "commandTimeout");
            Objects.requireNonNull(presenceTtl, "presenceTtl");
        }
    }

    private final ClientResources resources;
    private final Options options;
    private final boolean cluster;
    private final @Nullable RedisClient client;
    private final @Nullable RedisClusterClient clusterClient;
    private final StatefulConnection<String, byte[]> commandConnection;
    private final RedisScriptingAsyncCommands<String, byte[]> scripts;
    private final StatefulRedisPubSubConnection<String, byte[]> pubsub;
    private final byte[] publishCommand;
    private final Map<String, String> shas = new ConcurrentHashMap<>();
    /** Channels this node subscribes to, by pub/sub channel name. */
    private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    /** Presence entries of this node's clients, refreshed before they expire. */
    private final ConcurrentHashMap<ChannelName, ConcurrentHashMap<String, ClientInfo>> localPresence =
            new ConcurrentHashMap<>();
    private final AtomicBoolean unavailableLogged = new AtomicBoolean();
    private volatile @Nullable Delivery delivery;
    private volatile @Nullable Disposable refresher;
    private final AtomicBoolean disposing = new AtomicBoolean();
    /** Set once presence is cleared on shutdown: commands are refused from then on. */
    private volatile boolean disposed;

    private RedisBroker(List<RedisURI> uris, Options options) {
        this.options = options;
        this.resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(options.commandTimeout());
        boolean isCluster = detectCluster(uris.get(0));
        this.cluster = isCluster;
        try {
            if (isCluster) {
                RedisClusterClient c = RedisClusterClient.create(resources, uris);
                // Per-node connections open lazily, and REJECT_COMMANDS would refuse the first command
                // to each: on a cluster, commands wait (bounded queue) for the command timeout instead.
                c.setOptions(ClusterClientOptions.builder()
                        .autoReconnect(true)
                        .requestQueueSize(10_000)
                        .timeoutOptions(timeouts)
                        .build());
                StatefulRedisClusterConnection<String, byte[]> commands = c.connect(CODEC);
                StatefulRedisClusterPubSubConnection<String, byte[]> ps = c.connectPubSub(CODEC);
                ps.setNodeMessagePropagation(true);
                ps.addListener(new RedisClusterPubSubAdapter<>() {
                    @Override
                    public void smessage(RedisClusterNode node, String channel, byte[] message) {
                        onPubSub(channel, message);
                    }
                });
                // Sharded subscriptions live on per-master pub/sub connections, opened lazily: the
                // first "connected" of each is its opening, any later one a reconnect to that master.
                java.util.Set<Object> opened = ConcurrentHashMap.newKeySet();
                c.addListener(new RedisConnectionStateListener() {
                    @Override
                    public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> connection,
                                                 SocketAddress address) {
                        if (connection instanceof StatefulRedisPubSubConnection<?, ?> && connection != RedisBroker.this.pubsub
                                && !opened.add(connection)) {
                            resubscribe(key -> servedBy(key, address));
                        }
                    }
                });
                this.clusterClient = c;
                this.client = null;
                this.commandConnection = commands;
                this.scripts = commands.async();
                this.pubsub = ps;
            } else {
                RedisClient c = RedisClient.create(resources, uris.get(0));
                c.setOptions(ClientOptions.builder()
                        .autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .timeoutOptions(timeouts)
                        .build());
                StatefulRedisConnection<String, byte[]> commands = c.connect(CODEC);
                StatefulRedisPubSubConnection<String, byte[]> ps = c.connectPubSub(CODEC);
                ps.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, byte[] message) {
                        onPubSub(channel, message);
                    }
                });
                c.addListener(new RedisConnectionStateListener() {
                    @Override
                    public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> connection,
                                                 SocketAddress address) {
                        if (connection == RedisBroker.this.pubsub) {
                            resubscribe(key -> true);
                        }
                    }
                });
                this.client = c;
                this.clusterClient = null;
                this.commandConnection = commands;
                this.scripts = commands.async();
                this.pubsub = ps;
            }
        } catch (RuntimeException e) {
            resources.shutdown();
            throw e;
        }
        this.publishCommand = (isCluster ? "SPUBLISH" : "PUBLISH").getBytes(StandardCharsets.US_ASCII);
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
        return new RedisBroker(uris, options);
    }

    /** Parses {@code redis://host:port[,redis://host:port...]} (or {@code host:port} items). */
    public static List<RedisURI> parseUris(String text) {
        List<RedisURI> uris = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            uris.add(RedisURI.create(p.contains("://") ? p : "redis://" + p));
        }
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no Redis URI in '" + text + "'");
        }
        return uris;
    }

    private static boolean detectCluster(RedisURI uri) {
        RedisClient probe = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> c = probe.connect()) {
            String info = c.sync().info("cluster");
            return info != null && info.contains("cluster_enabled:1");
        } finally {
            probe.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Whether this broker talks to a Redis Cluster (sharded pub/sub). */
    public boolean isCluster() {
        return cluster;
    }

    @Override
    public void start(Delivery delivery) {
        this.delivery = delivery;
        long every = Math.max(200, options.presenceTtl().toMillis() / 3);
        this.refresher = Schedulers.parallel().schedulePeriodically(this::refreshPresence, every, every,
                TimeUnit.MILLISECONDS);
    }

    // Keys

    private static String tag(ChannelName channel) {
        return "hub:{" + channel.value() + "}";
    }

    // Publish

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type, ChannelOptions channelOptions) {
        String tag = tag(channel);
        String[] keys = {tag + ":m", tag + ":h"};
        byte[][] args = {
                payload,
                typeCode(type),
                ascii(channelOptions.historySize()),
                ascii(Math.max(1, channelOptions.historyTtl().toSeconds())),
                ascii(newEpoch()),
                ascii(Math.max(META_TTL_SECONDS, channelOptions.historyTtl().toSeconds())),
                publishCommand,
                ascii(tag)
        };
        return this.<List<Object>>eval(RedisScripts.PUBLISH, ScriptOutputType.MULTI, keys, args).map(reply -> {
            long offset = (Long) reply.get(0);
            String epoch = text(reply.get(1));
            long receivers = (Long) reply.get(2);
            return new PublishResult((int) Math.min(Integer.MAX_VALUE, receivers), offset, epoch);
        });
    }

    private static byte[] typeCode(PayloadType type) {
        return switch (type) {
            case TEXT -> new byte[] {'0'};
            case BINARY -> new byte[] {'1'};
            case JSON -> new byte[] {'2'};
        };
    }

    // Subscriptions

    @Override
    public Mono<Void> subscribe(ChannelName channel, ChannelOptions channelOptions) {
        String key = tag(channel);
        Subscription subscription = new Subscription(channel);
        subscriptions.put(key, subscription);
        CompletableFuture<Void> done = sendSubscribe(key).toCompletableFuture();
        return Mono.fromFuture(done, true).onErrorMap(this::unavailable);
    }

    private CompletionStage<Void> sendSubscribe(String key) {
        return subscription(key, true);
    }

    @Override
    public void unsubscribe(ChannelName channel) {
        String key = tag(channel);
        subscriptions.remove(key);
        subscription(key, false).whenComplete((ok, e) -> {
            if (e != null) {
                log.debug("unsubscribe from {} failed (the reconnect drops it anyway): {}", key, e.toString());
            }
        });
    }

    /**
     * (Un)subscribes a pub/sub channel: SUBSCRIBE on the standalone connection, or SSUBSCRIBE on the
     * pub/sub connection of the cluster master that owns the channel's slot.
     */
    @SuppressWarnings("unchecked")
    private CompletionStage<Void> subscription(String key, boolean subscribe) {
        try {
            if (!cluster) {
                return subscribe ? pubsub.async().subscribe(key) : pubsub.async().unsubscribe(key);
            }
            StatefulRedisClusterPubSubConnection<String, byte[]> c = (StatefulRedisClusterPubSubConnection<String, byte[]>) pubsub;
            RedisClusterNode node = c.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
            if (node == null) {
                return subscribe ? CompletableFuture.failedFuture(new RedisException("no master for slot of " + key))
                        : CompletableFuture.completedFuture(null);
            }
            return c.getConnectionAsync(node.getNodeId()).thenCompose(nodeConnection -> subscribe
                    ? nodeConnection.async().ssubscribe(key) : nodeConnection.async().sunsubscribe(key));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * After a reconnect: subscribe again to every channel that has local subscribers, then report
     * each as interrupted, since whatever was published while this node was cut off never reached
     * it (its subscribers recover it from the history, where it survived).
     */
    private void resubscribe(java.util.function.Predicate<String> affected) {
        if (disposed || subscriptions.isEmpty()) {
            return;
        }
        log.info("Redis connection back: subscribing again to this node's channels");
        for (Map.Entry<String, Subscription> entry : subscriptions.entrySet()) {
            String key = entry.getKey();
            if (!affected.test(key)) {
                continue;
            }
            Subscription subscription = entry.getValue();
            sendSubscribe(key).whenComplete((ok, e) -> {
                if (e != null) {
                    log.warn("could not subscribe again to {}: {}", key, e.toString());
                    return;
                }
                Delivery d = delivery;
                if (d != null && subscriptions.get(key) == subscription) {
                    d.interrupted(subscription.channel);
                }
            });
        }
    }

    /** Whether the cluster master at {@code address} owns the slot of a pub/sub channel. */
    private boolean servedBy(String key, SocketAddress address) {
        if (!(address instanceof java.net.InetSocketAddress inet)) {
            return true;
        }
        RedisClusterNode node = ((StatefulRedisClusterPubSubConnection<String, byte[]>) pubsub).getPartitions()
                .getMasterBySlot(SlotHash.getSlot(key));
        return node == null || node.getUri().getPort() == inet.getPort();
    }

    /** On a Lettuce event loop: one pub/sub connection per shard, so one channel's messages in order. */
    private void onPubSub(String key, byte[] body) {
        Subscription subscription = subscriptions.get(key);
        Delivery d = delivery;
        if (subscription == null || d == null || body.length == 0) {
            return;
        }
        try {
            byte kind = body[0];
            if (kind == 'j' || kind == 'l') {
                int zero = indexOf(body, (byte) 0, 1);
                String client = new String(body, 1, zero - 1, StandardCharsets.UTF_8);
                d.presence(subscription.channel, new PresenceEvent(kind == 'j',
                        new ClientInfo(client, decodeUser(Arrays.copyOfRange(body, zero + 1, body.length)))));
                return;
            }
            int colon1 = indexOf(body, (byte) ':', 1);
            int colon2 = indexOf(body, (byte) ':', colon1 + 1);
            long offset = Long.parseLong(new String(body, 1, colon1 - 1, StandardCharsets.US_ASCII));
            String epoch = new String(body, colon1 + 1, colon2 - colon1 - 1, StandardCharsets.US_ASCII);
            byte[] payload = Arrays.copyOfRange(body, colon2 + 1, body.length);
            PayloadType type = switch (kind) {
                case '0' -> PayloadType.TEXT;
                case '1' -> PayloadType.BINARY;
                case '2' -> PayloadType.JSON;
                default -> throw new IllegalArgumentException("unknown kind " + (char) kind);
            };
            String lastEpoch = subscription.epoch;
            if (lastEpoch != null) {
                if (lastEpoch.equals(epoch) && offset <= subscription.lastOffset) {
                    return; // seen already
                }
                if (!lastEpoch.equals(epoch) || offset != subscription.lastOffset + 1) {
                    log.warn("channel {}: messages lost on their way to this node (had {}#{}, got {}#{})",
                            subscription.channel, lastEpoch, subscription.lastOffset, epoch, offset);
                    d.interrupted(subscription.channel);
                }
            }
            subscription.epoch = epoch;
            subscription.lastOffset = offset;
            d.deliver(new Message(subscription.channel, offset, epoch, payload, type));
        } catch (RuntimeException e) {
            log.error("dropping a malformed message on {} ({} bytes)", key, body.length, e);
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        throw new IllegalArgumentException("separator missing");
    }

    // History

    @Override
    public Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit, ChannelOptions channelOptions) {
        String tag = tag(channel);
        String[] keys = {tag + ":m", tag + ":h"};
        byte[][] args = {
                since == null ? new byte[] {'-'} : ascii(since),
                ascii(Math.max(0, limit)),
                ascii(newEpoch()),
                ascii(Math.max(META_TTL_SECONDS, channelOptions.historyTtl().toSeconds()))
        };
        return this.<List<Object>>eval(RedisScripts.HISTORY, ScriptOutputType.MULTI, keys, args).map(reply -> {
            long top = (Long) reply.get(0);
            String epoch = text(reply.get(1));
            @SuppressWarnings("unchecked")
            List<Object> entries = (List<Object>) reply.get(2);
            List<Message> messages = new ArrayList<>(entries.size());
            for (Object entry : entries) {
                messages.add(entry(channel, epoch, (List<?>) entry));
            }
            if (since == null) {
                Collections.reverse(messages); // XREVRANGE: newest first
            }
            return new HistoryResult(new StreamPosition(top, epoch), messages);
        });
    }

    private static Message entry(ChannelName channel, String epoch, List<?> entry) {
        String id = text(entry.get(0));
        long offset = Long.parseLong(id.substring(id.indexOf('-') + 1));
        List<?> fields = (List<?>) entry.get(1);
        byte[] payload = new byte[0];
        PayloadType type = PayloadType.BINARY;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String field = text(fields.get(i));
            byte[] value = (byte[]) fields.get(i + 1);
            if (field.equals("p")) {
                payload = value;
            } else if (field.equals("t") && value.length == 1) {
                type = value[0] == '0' ? PayloadType.TEXT : value[0] == '2' ? PayloadType.JSON : PayloadType.BINARY;
            }
        }
        return new Message(channel, offset, epoch, payload, type);
    }

    // Presence

    @Override
    public Mono<Void> join(ChannelName channel, ClientInfo info, ChannelOptions channelOptions) {
        localPresence.computeIfAbsent(channel, c -> new ConcurrentHashMap<>()).put(info.client(), info);
        return presenceScript(RedisScripts.JOIN, channel, info, channelOptions.joinLeave()).then();
    }

    @Override
    public Mono<Void> leave(ChannelName channel, ClientInfo info, ChannelOptions channelOptions) {
        localPresence.computeIfPresent(channel, (c, clients) -> {
            clients.remove(info.client());
            return clients.isEmpty() ? null : clients;
        });
        return presenceScript(RedisScripts.LEAVE, channel, info, channelOptions.joinLeave()).then();
    }

    private Mono<Long> presenceScript(String script, ChannelName channel, ClientInfo info, boolean announce) {
        String tag = tag(channel);
        String[] keys = {tag + ":p", tag + ":z"};
        long ttl = options.presenceTtl().toMillis();
        byte[][] args = {
                info.client().getBytes(StandardCharsets.UTF_8),
                encodeUser(info.user()),
                ascii(System.currentTimeMillis() + ttl),
                ascii(Math.max(1, (ttl + 999) / 1000)),
                new byte[] {(byte) (announce ? '1' : '0')},
                publishCommand,
                ascii(tag)
        };
        return eval(script, ScriptOutputType.INTEGER, keys, args);
    }

    @Override
    public Mono<List<ClientInfo>> presence(ChannelName channel) {
        String tag = tag(channel);
        String[] keys = {tag + ":p", tag + ":z"};
        byte[][] args = {ascii(System.currentTimeMillis())};
        return this.<List<Object>>eval(RedisScripts.PRESENCE, ScriptOutputType.MULTI, keys, args).map(flat -> {
            List<ClientInfo> clients = new ArrayList<>(flat.size() / 2);
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                clients.add(new ClientInfo(text(flat.get(i)), decodeUser((byte[]) flat.get(i + 1))));
            }
            return clients;
        });
    }

    /** Re-enters this node's clients before their entries expire (and after Redis lost them). */
    private void refreshPresence() {
        localPresence.forEach((channel, clients) -> clients.values().forEach(info ->
                presenceScript(RedisScripts.JOIN, channel, info, false).subscribe(null, e -> { })));
    }

    private static byte[] encodeUser(@Nullable String user) {
        return user == null ? new byte[] {'-'} : ("+" + user).getBytes(StandardCharsets.UTF_8);
    }

    private static @Nullable String decodeUser(byte[] encoded) {
        if (encoded.length == 0 || encoded[0] != '+') {
            return null;
        }
        return new String(encoded, 1, encoded.length - 1, StandardCharsets.UTF_8);
    }

    // Scripts

    /** Runs a script by its SHA, loading it (EVAL) when Redis does not know it (first use, or after a restart). */
    private <T> Mono<T> eval(String script, ScriptOutputType type, String[] keys, byte[][] args) {
        if (disposed) {
            return Mono.error(new HubException(ErrorCode.HUB_CLOSED, "hub is closed"));
        }
        String sha = shas.computeIfAbsent(script, RedisBroker::sha1);
        return Mono.fromCompletionStage(() -> scripts.<T>evalsha(sha, type, keys, args))
                .onErrorResume(RedisNoScriptException.class,
                        e -> Mono.fromCompletionStage(() -> scripts.<T>eval(script, type, keys, args)))
                .doOnNext(reply -> reachable())
                .onErrorMap(this::unavailable);
    }

    /** A command succeeded: if Redis was reported unavailable, say once that it is back. */
    private void reachable() {
        if (unavailableLogged.get() && unavailableLogged.compareAndSet(true, false)) {
            log.info("Redis is reachable again");
        }
    }

    private Throwable unavailable(Throwable e) {
        if (e instanceof HubException) {
            return e;
        }
        if (e instanceof RedisException || e instanceof java.util.concurrent.TimeoutException) {
            if (unavailableLogged.compareAndSet(false, true)) {
                log.warn("Redis unavailable: {} (logged once until it is back)", e.getMessage());
            }
            return new HubException(ErrorCode.UNAVAILABLE, "Redis is unavailable: " + e.getMessage());
        }
        return e;
    }

    private static String sha1(String script) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(40);
            for (byte b : digest) {
                hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            return hex.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(Object value) {
        return value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static String newEpoch() {
        return Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    @Override
    public void dispose() {
        if (!disposing.compareAndSet(false, true)) {
            return;
        }
        Disposable r = refresher;
        if (r != null) {
            r.dispose();
        }
        // Leave presence on the way out, so a clean shutdown does not wait for the TTL.
        List<Mono<Long>> leaving = new ArrayList<>();
        localPresence.forEach((channel, clients) -> clients.values().forEach(info ->
                leaving.add(presenceScript(RedisScripts.LEAVE, channel, info, false).onErrorResume(e -> Mono.empty()))));
        try {
            Mono.when(leaving).block(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            log.debug("presence not cleared on shutdown: {}", e.toString());
        }
        disposed = true;
        localPresence.clear();
        pubsub.closeAsync();
        commandConnection.closeAsync();
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (clusterClient != null) {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    /** One channel this node subscribes to, and the last position it delivered (pub/sub thread only). */
    private static final class Subscription {
        final ChannelName channel;
        @Nullable String epoch;
        long lastOffset;

        Subscription(ChannelName channel) {
            this.channel = channel;
        }
    }
}
