package io.reactivehub.core.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.ScriptOutputType;
import io.reactivehub.core.ChannelPage;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.NodeInfo;
import io.reactivehub.core.broker.NodeBus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * The nodes of a hub on one Redis. All keys share the hash tag {@code {!nodes}} (one cluster slot;
 * {@code !} is not allowed in channel names, so no channel's keys can collide):
 *
 * <ul>
 *   <li>{@code hub:{!nodes}} sorted set: node id by expiry time (ms); {@code hub:{!nodes}:<id>}
 *       string: the node's info as JSON, with the node TTL. Each node rewrites both every TTL/3;
 *       readers drop ids whose time passed, so a killed node leaves {@link #nodes} after one TTL
 *       and its keys go with it. A clean shutdown removes them at once.
 *   <li>{@code hub:{!nodes}:control} pub/sub: {@code c<command>} for every node's control
 *       listeners, {@code q<json>} a channels query; {@code hub:{!nodes}:reply:<id>} pub/sub: the
 *       answers {@code r<json>} to that node's queries.
 * </ul>
 *
 * <p>Channels are asked, not stored: a node answers a query with at most its limit of names, so
 * nothing grows with the number of channels in Redis and counts are those of the moment. The
 * asker waits for every live node up to {@link #QUERY_WAIT} (a node that died still counts as live
 * for up to one TTL: then the page says it is incomplete). At most {@value #MAX_QUERIES} queries of
 * a node wait at a time.
 */
final class RedisNodeBus implements NodeBus {
    private static final Logger log = LoggerFactory.getLogger(RedisNodeBus.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String PREFIX = "hub:{!nodes}";
    static final String NODES = PREFIX;
    static final String CONTROL = PREFIX + ":control";
    static final Duration QUERY_WAIT = Duration.ofSeconds(2);
    static final int MAX_QUERIES = 64;
    /** The most nodes one listing reads. */
    static final int MAX_NODES = 1000;

    /** KEYS zset, node key; ARGV id, info, ttl (ms). */
    static final String HEARTBEAT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local ttl = tonumber(ARGV[3])
            redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
            redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
            redis.call('PEXPIREAT', KEYS[1], last[2])
            return 1
            """;

    /** KEYS zset; ARGV node key prefix, most ids. Returns the live nodes' info. */
    static final String LIST = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
            local out = {}
            for _, id in ipairs(ids) do
              local v = redis.call('GET', ARGV[1] .. id)
              if v then out[#out + 1] = v end
            end
            return out
            """;

    /** KEYS zset, node key; ARGV id. */
    static final String LEAVE = """
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('DEL', KEYS[2])
            return 1
            """;

    /** KEYS pub/sub channel; ARGV PUBLISH or SPUBLISH, body. */
    static final String SEND = "return redis.call(ARGV[1], KEYS[1], ARGV[2])";

    private final RedisConnections redis;
    private final Duration ttl;
    private final Duration startTimeout;
    private final String id;
    private final String nodeKey;
    private final String replyKey;
    private final Map<Long, Query> queries = new ConcurrentHashMap<>();
    private final AtomicLong queryIds = new AtomicLong();
    private final Disposable.Swap refresher = Disposables.swap();
    private final AtomicBoolean disposed = new AtomicBoolean();
    private volatile NodeBus.@Nullable Local local;

    RedisNodeBus(RedisConnections redis, Duration ttl, Duration startTimeout, String id) {
        this.id = id;
        this.nodeKey = NODES + ":" + id;
        this.replyKey = PREFIX + ":reply:" + id;
        this.redis = redis;
        this.ttl = ttl;
        this.startTimeout = startTimeout;
    }

    /** Whether a pub/sub channel is this bus's. */
    static boolean owns(String key) {
        return key.startsWith(PREFIX);
    }

    /**
     * Subscribes to the control and reply channels and writes this node's entry, waiting for both
     * (at startup, never on an event loop) so the node is listed and hears commands once the hub exists.
     */
    @Override
    public void start(NodeBus.Local local) {
        this.local = local;
        try {
            redis.subscribe(CONTROL)
                    .thenCompose(v -> redis.subscribe(replyKey))
                    .toCompletableFuture()
                    .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
            heartbeat().block(startTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("node {}: not yet registered in Redis ({}); retrying every {} ms", id, e, every());
        }
        refresher.update(Schedulers.parallel()
                .schedulePeriodically(
                        () -> heartbeat().subscribe(null, e -> log.debug("node entry not refreshed: {}", e.toString())),
                        every(),
                        every(),
                        TimeUnit.MILLISECONDS));
    }

    private long every() {
        return Math.max(100, ttl.toMillis() / 3);
    }

    private Mono<Object> heartbeat() {
        NodeBus.Local l = local;
        if (l == null || disposed.get()) {
            return Mono.empty();
        }
        byte[] info = bytes(encode(l.info()));
        return redis.eval(
                HEARTBEAT,
                ScriptOutputType.INTEGER,
                new String[] {NODES, nodeKey},
                bytes(id),
                info,
                RedisWire.ascii(ttl.toMillis()));
    }

    /** After a pub/sub reconnect: subscribe again to what this bus listens to. */
    void resubscribe(Predicate<String> affected) {
        for (String key : List.of(CONTROL, replyKey)) {
            if (affected.test(key)) {
                redis.subscribe(key).whenComplete((v, e) -> {
                    if (e != null) {
                        log.warn("could not subscribe again to {}: {}", key, e.toString());
                    }
                });
            }
        }
    }

    @Override
    public String nodeId() {
        return id;
    }

    @Override
    public Mono<Void> send(byte[] command) {
        byte[] body = new byte[command.length + 1];
        body[0] = 'c';
        System.arraycopy(command, 0, body, 1, command.length);
        return publish(CONTROL, body);
    }

    private Mono<Void> publish(String key, byte[] body) {
        return redis.<Object>eval(SEND, ScriptOutputType.INTEGER, new String[] {key}, redis.publishCommand(), body)
                .then();
    }

    @Override
    public Mono<List<NodeInfo>> nodes() {
        return redis.<List<Object>>eval(
                        LIST,
                        ScriptOutputType.MULTI,
                        new String[] {NODES},
                        bytes(NODES + ":"),
                        RedisWire.ascii(MAX_NODES))
                .map(entries -> {
                    List<NodeInfo> nodes = new ArrayList<>(entries.size());
                    NodeBus.Local l = local;
                    for (Object entry : entries) {
                        NodeInfo info = decode(entry);
                        // This node's own entry is as old as its last refresh: give the current one.
                        nodes.add(info != null && info.id().equals(id) && l != null ? l.info() : info);
                    }
                    nodes.removeIf(n -> n == null);
                    return nodes;
                });
    }

    @Override
    public Mono<ChannelPage> channels(ChannelQuery query) {
        return nodes().flatMap(live -> {
            if (queries.size() >= MAX_QUERIES) {
                return Mono.error(new HubException(
                        ErrorCode.UNAVAILABLE, "too many channel queries waiting on this node; retry"));
            }
            Set<String> expected = ConcurrentHashMap.newKeySet();
            live.forEach(n -> expected.add(n.id()));
            expected.add(id);
            long qid = queryIds.incrementAndGet();
            Query q = new Query(expected);
            queries.put(qid, q);
            ObjectNode ask = JSON.createObjectNode();
            ask.put("id", qid);
            ask.put("from", id);
            ask.put("limit", query.limit());
            if (query.pattern() != null) {
                ask.put("pattern", query.pattern());
            }
            if (query.cursor() != null) {
                ask.put("cursor", query.cursor());
            }
            return publish(CONTROL, prefixed('q', ask))
                    .then(q.done.asMono().timeout(QUERY_WAIT).onErrorResume(TimeoutException.class, e -> Mono.empty()))
                    .then(Mono.fromSupplier(
                            () -> ChannelPage.merge(List.copyOf(q.pages), query.limit(), q.pending.isEmpty())))
                    .doFinally(s -> queries.remove(qid));
        });
    }

    /** A query of this node waiting for the nodes' answers. */
    private static final class Query {
        final Set<String> pending;
        final List<ChannelPage> pages = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Sinks.One<Void> done = Sinks.one();

        Query(Set<String> expected) {
            this.pending = expected;
        }
    }

    /** On a Lettuce thread: a message on the control or reply channel. */
    void onPubSub(String key, byte[] body) {
        NodeBus.Local l = local;
        if (l == null || body.length == 0 || disposed.get()) {
            return;
        }
        try {
            switch (body[0]) {
                case 'c' -> {
                    byte[] command = new byte[body.length - 1];
                    System.arraycopy(body, 1, command, 0, command.length);
                    l.onControl(command);
                }
                case 'q' -> answer(l, JSON.readTree(body, 1, body.length - 1));
                case 'r' -> {
                    if (key.equals(replyKey)) {
                        collect(JSON.readTree(body, 1, body.length - 1));
                    }
                }
                default -> log.debug("ignoring a node bus message of type {}", body[0]);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("dropping a malformed node bus message on {} ({} bytes): {}", key, body.length, e.toString());
        }
    }

    /** Answers a channels query, off the pub/sub thread (it walks every local channel). */
    private void answer(NodeBus.Local l, JsonNode ask) {
        String pattern = ask.path("pattern").isTextual() ? ask.get("pattern").asText() : null;
        String cursor = ask.path("cursor").isTextual() ? ask.get("cursor").asText() : null;
        ChannelQuery query = new ChannelQuery(pattern, cursor, ask.path("limit").asInt(ChannelQuery.DEFAULT_LIMIT));
        long qid = ask.path("id").asLong();
        String from = ask.path("from").asText();
        Schedulers.parallel().schedule(() -> {
            ChannelPage page = l.channels(query);
            ObjectNode reply = JSON.createObjectNode();
            reply.put("id", qid);
            reply.put("node", id);
            reply.put("more", page.cursor() != null);
            ArrayNode list = reply.putArray("channels");
            page.channels().forEach(e -> list.addArray().add(e.channel()).add(e.subscribers()));
            publish(PREFIX + ":reply:" + from, prefixed('r', reply))
                    .subscribe(null, e -> log.debug("channels query {} not answered: {}", qid, e.toString()));
        });
    }

    private void collect(JsonNode reply) {
        Query q = queries.get(reply.path("id").asLong());
        if (q == null) {
            return; // answered after the wait ended
        }
        List<ChannelPage.Entry> entries = new ArrayList<>();
        for (JsonNode e : reply.path("channels")) {
            entries.add(new ChannelPage.Entry(e.path(0).asText(), e.path(1).asLong()));
        }
        String last = entries.isEmpty() ? null : entries.get(entries.size() - 1).channel();
        q.pages.add(new ChannelPage(entries, reply.path("more").asBoolean() ? last : null, true));
        if (q.pending.remove(reply.path("node").asText()) && q.pending.isEmpty()) {
            q.done.tryEmitEmpty();
        }
    }

    private static String encode(NodeInfo info) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", info.id());
        n.put("version", info.version());
        n.put("connections", info.connections());
        n.put("users", info.users());
        n.put("channels", info.channels());
        n.put("uptime", info.uptime().toMillis());
        return n.toString();
    }

    private static @Nullable NodeInfo decode(Object entry) {
        try {
            JsonNode n = JSON.readTree(entry instanceof byte[] b ? b : bytes(String.valueOf(entry)));
            return new NodeInfo(
                    n.path("id").asText(),
                    n.path("version").asText("dev"),
                    n.path("connections").asLong(),
                    n.path("users").asLong(),
                    n.path("channels").asInt(),
                    Duration.ofMillis(n.path("uptime").asLong()));
        } catch (IOException | RuntimeException e) {
            log.debug("skipping a malformed node entry: {}", e.toString());
            return null;
        }
    }

    private static byte[] prefixed(char type, ObjectNode json) {
        byte[] text = bytes(json.toString());
        byte[] body = new byte[text.length + 1];
        body[0] = (byte) type;
        System.arraycopy(text, 0, body, 1, text.length);
        return body;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Stops refreshing and removes this node's entry, so a clean shutdown leaves {@code info} at once. */
    @Override
    public void dispose() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        refresher.dispose();
        try {
            redis.<Object>eval(LEAVE, ScriptOutputType.INTEGER, new String[] {NODES, nodeKey}, bytes(id))
                    .block(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            log.debug("node entry not removed on shutdown: {}", e.toString());
        }
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }
}
