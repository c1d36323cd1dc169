package io.reactivehub.core.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
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
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One node's connections to Redis, standalone or Redis Cluster (detected): a command connection
 * that runs the hub's scripts, and pub/sub (SUBSCRIBE, or SSUBSCRIBE on the master that owns a
 * channel's slot). Hides which of the two it is from the broker and the presence manager: they
 * run {@link #eval scripts}, {@link #subscribe} pub/sub channels, publish with
 * {@link #publishCommand()}, and hear of reconnects through the hook given at {@link #connect}.
 *
 * <p>Faults: on a standalone Redis, commands fail at once while it is unreachable
 * (REJECT_COMMANDS); on a cluster they wait up to the command timeout (per-node connections open
 * lazily, and REJECT_COMMANDS would refuse the first command to each). Either way the failure is
 * {@link ErrorCode#UNAVAILABLE}, logged once until a command succeeds again. Lettuce reconnects by
 * itself (100 ms to 2 s backoff).
 */
final class RedisConnections {
    private static final Logger log = LoggerFactory.getLogger(RedisConnections.class);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final ClientResources resources;
    private final boolean cluster;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> commandConnection;
    private final RedisScriptingAsyncCommands<String, byte[]> scripts;
    private final StatefulRedisPubSubConnection<String, byte[]> pubsub;
    private final byte[] publishCommand;
    private final Map<String, String> shas = new ConcurrentHashMap<>();
    private final AtomicBoolean unavailableLogged = new AtomicBoolean();
    private volatile boolean closed;

    private RedisConnections(
            List<RedisURI> uris,
            Duration commandTimeout,
            BiConsumer<String, byte[]> onMessage,
            Consumer<Predicate<String>> onReconnect) {
        this.resources = ClientResources.builder()
                .reconnectDelay(
                        Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(commandTimeout);
        Links links;
        try {
            this.cluster = detectCluster(uris.get(0));
            links = cluster
                    ? cluster(resources, uris, timeouts, onMessage, onReconnect)
                    : standalone(resources, uris.get(0), timeouts, onMessage, onReconnect);
        } catch (RuntimeException e) {
            resources.shutdown();
            throw e;
        }
        this.client = links.client();
        this.commandConnection = links.commands();
        this.scripts = links.scripts();
        this.pubsub = links.pubsub();
        this.publishCommand = (cluster ? "SPUBLISH" : "PUBLISH").getBytes(StandardCharsets.US_ASCII);
        log.info(
                "sharing channels, history and presence through Redis {}at {}",
                cluster ? "Cluster " : "",
                uris.stream().map(u -> u.getHost() + ":" + u.getPort()).collect(Collectors.joining(",")));
    }

    /** A client and its two connections. */
    private record Links(
            AbstractRedisClient client,
            StatefulConnection<String, byte[]> commands,
            RedisScriptingAsyncCommands<String, byte[]> scripts,
            StatefulRedisPubSubConnection<String, byte[]> pubsub) {}

    /** Standalone: REJECT_COMMANDS while disconnected, so commands fail at once. */
    private static Links standalone(
            ClientResources resources,
            RedisURI uri,
            TimeoutOptions timeouts,
            BiConsumer<String, byte[]> onMessage,
            Consumer<Predicate<String>> onReconnect) {
        RedisClient c = RedisClient.create(resources, uri);
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
                onMessage.accept(channel, message);
            }
        });
        c.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (connection == ps) {
                    onReconnect.accept(key -> true);
                }
            }
        });
        return new Links(c, commands, commands.async(), ps);
    }

    /**
     * Redis Cluster: per-node connections open lazily, and REJECT_COMMANDS would refuse the first
     * command to each, so commands wait (bounded queue) for the command timeout instead.
     */
    private static Links cluster(
            ClientResources resources,
            List<RedisURI> uris,
            TimeoutOptions timeouts,
            BiConsumer<String, byte[]> onMessage,
            Consumer<Predicate<String>> onReconnect) {
        RedisClusterClient c = RedisClusterClient.create(resources, uris);
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
                onMessage.accept(channel, message);
            }
        });
        // Sharded subscriptions live on per-master pub/sub connections, opened lazily: the first
        // "connected" of each is its opening, any later one a reconnect to that master.
        Set<Object> opened = ConcurrentHashMap.newKeySet();
        c.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (connection instanceof StatefulRedisPubSubConnection<?, ?>
                        && connection != ps
                        && !opened.add(connection)) {
                    onReconnect.accept(key -> servedBy(ps, key, address));
                }
            }
        });
        return new Links(c, commands, commands.async(), ps);
    }

    /**
     * Connects (blocking: at startup, never on an event loop).
     *
     * @param onMessage   every pub/sub message, (channel, body), on Lettuce's thread of its shard
     * @param onReconnect after a pub/sub connection came back: which pub/sub channels it serves
     * @throws RedisException when Redis cannot be reached
     */
    static RedisConnections connect(
            List<RedisURI> uris,
            Duration commandTimeout,
            BiConsumer<String, byte[]> onMessage,
            Consumer<Predicate<String>> onReconnect) {
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no Redis URI");
        }
        return new RedisConnections(uris, commandTimeout, onMessage, onReconnect);
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

    boolean isCluster() {
        return cluster;
    }

    /** PUBLISH, or SPUBLISH on a cluster, for scripts to call. */
    byte[] publishCommand() {
        return publishCommand;
    }

    /** Subscribes a pub/sub channel; completes once Redis confirmed it. */
    CompletionStage<Void> subscribe(String key) {
        return subscription(key, true);
    }

    CompletionStage<Void> unsubscribe(String key) {
        return subscription(key, false);
    }

    @SuppressWarnings("unchecked")
    private CompletionStage<Void> subscription(String key, boolean subscribe) {
        try {
            if (!cluster) {
                return subscribe
                        ? pubsub.async().subscribe(key)
                        : pubsub.async().unsubscribe(key);
            }
            StatefulRedisClusterPubSubConnection<String, byte[]> c =
                    (StatefulRedisClusterPubSubConnection<String, byte[]>) pubsub;
            RedisClusterNode node = c.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
            if (node == null) {
                return subscribe
                        ? CompletableFuture.failedFuture(new RedisException("no master for slot of " + key))
                        : CompletableFuture.completedFuture(null);
            }
            return c.getConnectionAsync(node.getNodeId())
                    .thenCompose(nodeConnection -> subscribe
                            ? nodeConnection.async().ssubscribe(key)
                            : nodeConnection.async().sunsubscribe(key));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Whether the cluster master at {@code address} owns the slot of a pub/sub channel. */
    private static boolean servedBy(
            StatefulRedisClusterPubSubConnection<String, byte[]> pubsub, String key, SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet)) {
            return true;
        }
        RedisClusterNode node = pubsub.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        return node == null || node.getUri().getPort() == inet.getPort();
    }

    /**
     * Runs a script by its SHA, loading it (EVAL) when Redis does not know it (first use, or after a
     * restart). Errors with {@link HubException}: {@link ErrorCode#UNAVAILABLE} when Redis cannot be
     * reached, {@link ErrorCode#HUB_CLOSED} once closed.
     */
    <T> Mono<T> eval(String script, ScriptOutputType type, String[] keys, byte[]... args) {
        return eval(false, script, type, keys, args);
    }

    /**
     * As {@link #eval}, for a script whose effect must not be assumed absent when it fails (a
     * publish): when Redis does not answer within the command timeout the script may have run, so
     * the error is {@link ErrorCode#UNKNOWN_OUTCOME}, not {@link ErrorCode#UNAVAILABLE}.
     */
    <T> Mono<T> evalWrite(String script, ScriptOutputType type, String[] keys, byte[]... args) {
        return eval(true, script, type, keys, args);
    }

    private <T> Mono<T> eval(boolean write, String script, ScriptOutputType type, String[] keys, byte[]... args) {
        if (closed) {
            return Mono.error(new HubException(ErrorCode.HUB_CLOSED, "hub is closed"));
        }
        String sha = shas.computeIfAbsent(script, RedisConnections::sha1);
        return Mono.fromCompletionStage(() -> scripts.<T>evalsha(sha, type, keys, args))
                .onErrorResume(
                        RedisNoScriptException.class,
                        e -> Mono.fromCompletionStage(() -> scripts.<T>eval(script, type, keys, args)))
                .doOnNext(reply -> reachable())
                .onErrorMap(e -> write && timedOut(e) ? outcomeUnknown(e) : unavailable(e));
    }

    private static boolean timedOut(Throwable e) {
        return e instanceof RedisCommandTimeoutException || e.getCause() instanceof RedisCommandTimeoutException;
    }

    /**
     * A write that was sent and not answered in time. (On a cluster, a command for a master that
     * is down waits unsent until the timeout: it is reported the same way, erring on the side of
     * "maybe".)
     */
    private HubException outcomeUnknown(Throwable e) {
        if (unavailableLogged.compareAndSet(false, true)) {
            log.warn("Redis unavailable: {} (logged once until it is back)", e.getMessage());
        }
        return new HubException(
                ErrorCode.UNKNOWN_OUTCOME,
                "Redis did not answer in time: the message may or may not have been published (" + e.getMessage()
                        + ")");
    }

    /** A command succeeded: if Redis was reported unavailable, say once that it is back. */
    private void reachable() {
        if (unavailableLogged.get() && unavailableLogged.compareAndSet(true, false)) {
            log.info("Redis is reachable again");
        }
    }

    /** Maps a failure to {@link ErrorCode#UNAVAILABLE} when it is Redis being unreachable. */
    Throwable unavailable(Throwable e) {
        if (e instanceof HubException) {
            return e;
        }
        if (closed) {
            // Commands still in flight when this node closes its connections: expected, not an outage.
            log.debug("Redis command ended by the shutdown: {}", e.toString());
            return new HubException(ErrorCode.HUB_CLOSED, "hub is closed");
        }
        // A connection reset while a command was in flight is Redis going away as much as a refusal.
        if (e instanceof RedisException || e instanceof TimeoutException || e instanceof java.io.IOException) {
            if (unavailableLogged.compareAndSet(false, true)) {
                log.warn("Redis unavailable: {} (logged once until it is back)", e.getMessage());
            }
            return new HubException(ErrorCode.UNAVAILABLE, "Redis is unavailable: " + e.getMessage());
        }
        return e;
    }

    private static String sha1(String script) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(40);
            for (byte b : digest) {
                hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Whether both connections are up now (Lettuce marks them inactive while it reconnects). */
    boolean isConnected() {
        return !closed && commandConnection.isOpen() && pubsub.isOpen();
    }

    /** Refuses further commands and closes every connection (blocks up to about two seconds). */
    void close() {
        closed = true;
        // The client's shutdown closes every connection it opened. Closing them here first as well
        // made Lettuce close them twice and WARN "Connection is already closed" on each clean shutdown.
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
