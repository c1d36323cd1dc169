package io.reactivehub.server.config;

import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.Durations;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.broker.HistoryLimits;
import io.reactivehub.core.broker.LocalBroker;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.hooks.Hooks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Every setting of a hub server, and the only copy of each default (the CLI's options and the
 * README's table show these). Immutable; validated on construction; build one with
 * {@link #builder()}.
 *
 * @param host           address to bind ({@value #DEFAULT_HOST}: every interface)
 * @param port           TCP port; 0 picks a free one ({@value #DEFAULT_PORT})
 * @param maxMessageSize largest message a client may send, after reassembling fragments, in
 *                       bytes ({@value #DEFAULT_MAX_MESSAGE_SIZE}); larger closes with 1009
 * @param queueLimits    each connection's delivery queue bounds and slow-consumer policy
 *                       ({@link QueueLimits#DEFAULT})
 * @param closeTimeout   how long a connection being closed by the server may take to receive
 *                       the close frame before the TCP connection is cut ({@value #DEFAULT_CLOSE_TIMEOUT})
 * @param pingInterval   how often the server checks each connection and pings it when it has
 *                       sent nothing for that long ({@value #DEFAULT_PING_INTERVAL})
 * @param idleTimeout    silence (not even a pong) after which a connection is closed with 4002
 *                       ({@value #DEFAULT_IDLE_TIMEOUT}; longer than pingInterval)
 * @param limits         connection, subscription, rate and origin limits ({@link ConnectionLimits#DEFAULT})
 * @param tls            certificate chain and private key (PEM) to serve {@code wss://}; null (the
 *                       default) serves plain {@code ws://}
 * @param tokens         verifies the JWT every connection must present; null (the default) runs the
 *                       hub open: anyone may connect, subscribe and publish
 * @param compression    permessage-deflate settings ({@link Compression#DEFAULT}: on, 256-byte minimum)
 * @param apiKey         the key backends send as {@code Authorization: apikey <key>} to the server
 *                       API; null (the default) turns the API off
 * @param shutdownGrace  on shutdown, how long connections get to receive what is queued and the
 *                       1001 close before they are cut ({@value #DEFAULT_SHUTDOWN_GRACE})
 * @param channelRules   history and presence by channel pattern ({@link ChannelRules#NONE})
 * @param historyLimits  without Redis, the node-wide bounds of kept history ({@link HistoryLimits#DEFAULT})
 * @param redis          Redis URIs ({@code redis://host:port}, comma-separated) to share channels
 *                       with other nodes; null (the default): one node, in memory
 * @param redisTimeout   how long a Redis command may take before it fails with 114 (118 for a publish)
 *                       ({@value #DEFAULT_REDIS_TIMEOUT})
 * @param presenceTtl    with Redis, how long a client stays in presence after its node stopped
 *                       refreshing it ({@value #DEFAULT_PRESENCE_TTL})
 * @param demo           serve the browser client ({@code /hub.js}, {@code /hub.d.ts}) and the chat
 *                       demo page ({@code /demo/}); true by default
 * @param hooks          the application's connect, refresh, subscribe, publish and rpc hooks
 *                       ({@link Hooks#NONE} by default: the hub decides alone)
 * @param webhook        where occupancy events are POSTed ({@link WebhookConfig}); null (the default):
 *                       nowhere
 */
public record ServerConfig(
        String host,
        int port,
        int maxMessageSize,
        QueueLimits queueLimits,
        Duration closeTimeout,
        Duration pingInterval,
        Duration idleTimeout,
        ConnectionLimits limits,
        @Nullable TlsFiles tls,
        @Nullable TokenVerifier tokens,
        Compression compression,
        @Nullable String apiKey,
        Duration shutdownGrace,
        ChannelRules channelRules,
        HistoryLimits historyLimits,
        @Nullable String redis,
        Duration redisTimeout,
        Duration presenceTtl,
        boolean demo,
        Hooks hooks,
        @Nullable WebhookConfig webhook) {
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 65536;
    /** The command line's name of {@link QueueLimits#DEFAULT}'s slow-consumer policy. */
    public static final String DEFAULT_SLOW_CONSUMER = "disconnect";

    public static final String DEFAULT_CLOSE_TIMEOUT = "5s";
    public static final String DEFAULT_PING_INTERVAL = "25s";
    public static final String DEFAULT_IDLE_TIMEOUT = "60s";
    public static final String DEFAULT_SHUTDOWN_GRACE = "10s";
    public static final String DEFAULT_REDIS_TIMEOUT = "5s";
    public static final String DEFAULT_PRESENCE_TTL = "60s";

    public static final ServerConfig DEFAULT = new ServerConfig(
            DEFAULT_HOST,
            DEFAULT_PORT,
            DEFAULT_MAX_MESSAGE_SIZE,
            QueueLimits.DEFAULT,
            Durations.parse(DEFAULT_CLOSE_TIMEOUT),
            Durations.parse(DEFAULT_PING_INTERVAL),
            Durations.parse(DEFAULT_IDLE_TIMEOUT),
            ConnectionLimits.DEFAULT,
            null,
            null,
            Compression.DEFAULT,
            null,
            Durations.parse(DEFAULT_SHUTDOWN_GRACE),
            ChannelRules.NONE,
            HistoryLimits.DEFAULT,
            null,
            Durations.parse(DEFAULT_REDIS_TIMEOUT),
            Durations.parse(DEFAULT_PRESENCE_TTL),
            true,
            Hooks.NONE,
            null);

    /**
     * permessage-deflate (RFC 7692).
     *
     * @param enabled negotiate it when a client offers it (true by default)
     * @param minSize messages smaller than this many bytes go out uncompressed ({@value #DEFAULT_MIN_SIZE})
     */
    public record Compression(boolean enabled, int minSize) {
        public static final int DEFAULT_MIN_SIZE = 256;
        public static final Compression DEFAULT = new Compression(true, DEFAULT_MIN_SIZE);
        public static final Compression OFF = new Compression(false, DEFAULT_MIN_SIZE);

        public Compression {
            if (minSize < 0) {
                throw new IllegalArgumentException("minSize must not be negative, was " + minSize);
            }
        }
    }

    /**
     * PEM files for TLS, and the cipher suites offered. Only TLS 1.3 and 1.2 are spoken
     * ({@link #PROTOCOLS}).
     *
     * @param certificateChain the server certificate, then any intermediates
     * @param privateKey       its PKCS#8 private key, unencrypted
     * @param ciphers          cipher suites (Java names), in order of preference; suites the
     *                         runtime does not have are left out, at least one must remain.
     *                         {@link #DEFAULT_CIPHERS} by default: forward secrecy and AEAD only
     */
    public record TlsFiles(Path certificateChain, Path privateKey, List<String> ciphers) {
        /** The TLS versions the server speaks. */
        public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

        /**
         * TLS 1.3's suites, then TLS 1.2's ECDHE suites with AES-GCM or ChaCha20-Poly1305: no
         * static RSA key exchange ({@code TLS_RSA_*}), no CBC.
         */
        public static final List<String> DEFAULT_CIPHERS = List.of(
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

        public TlsFiles {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
            ciphers =
                    ciphers.stream().map(String::trim).filter(c -> !c.isEmpty()).toList();
            if (ciphers.isEmpty()) {
                throw new IllegalArgumentException("at least one TLS cipher suite is needed");
            }
        }

        /** With {@link #DEFAULT_CIPHERS}. */
        public TlsFiles(Path certificateChain, Path privateKey) {
            this(certificateChain, privateKey, DEFAULT_CIPHERS);
        }
    }

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be within 0..65535, was " + port);
        }
        if (maxMessageSize < 1) {
            throw new IllegalArgumentException("maxMessageSize must be at least 1, was " + maxMessageSize);
        }
        Objects.requireNonNull(queueLimits, "queueLimits");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(channelRules, "channelRules");
        Objects.requireNonNull(historyLimits, "historyLimits");
        Objects.requireNonNull(hooks, "hooks");
        positive("closeTimeout", closeTimeout);
        positive("pingInterval", pingInterval);
        positive("shutdownGrace", shutdownGrace);
        positive("redisTimeout", redisTimeout);
        positive("presenceTtl", presenceTtl);
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.compareTo(pingInterval) <= 0) {
            throw new IllegalArgumentException("the idle timeout (" + Durations.format(idleTimeout)
                    + ") must be longer than the ping interval (" + Durations.format(pingInterval) + ")");
        }
        if (apiKey != null && apiKey.isBlank()) {
            apiKey = null;
        }
        if (redis != null && redis.isBlank()) {
            redis = null;
        }
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + Durations.format(value));
        }
    }

    /**
     * The options of the hub this configuration serves: its queue limits, channel rules, and the
     * broker (Redis when {@link #redis()} is set; connecting is blocking and happens when the hub
     * is created, failing with Lettuce's {@code RedisException} if Redis cannot be reached).
     */
    public HubOptions hubOptions() {
        HubOptions options = new HubOptions(queueLimits).withChannelRules(channelRules);
        String uris = redis;
        if (uris == null) {
            HistoryLimits history = historyLimits;
            return options.withBroker(() -> new LocalBroker(history));
        }
        RedisBroker.Options redisOptions = new RedisBroker.Options(redisTimeout, presenceTtl);
        return options.withBroker(() -> RedisBroker.connect(RedisBroker.parseUris(uris), redisOptions));
    }

    /**
     * The most bytes of messages one reply carries (history): half the per-connection queue's byte
     * bound, so the reply fits beside what is already queued, and never less than one message.
     */
    public long maxReplyBytes() {
        return Math.max(maxMessageSize, queueLimits.maxBytes() / 2);
    }

    /** A builder starting from {@link #DEFAULT}. */
    public static Builder builder() {
        return DEFAULT.toBuilder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public ServerConfig withHost(String newHost) {
        return toBuilder().host(newHost).build();
    }

    public ServerConfig withPort(int newPort) {
        return toBuilder().port(newPort).build();
    }

    public ServerConfig withMaxMessageSize(int newMax) {
        return toBuilder().maxMessageSize(newMax).build();
    }

    public ServerConfig withQueueLimits(QueueLimits newLimits) {
        return toBuilder().queueLimits(newLimits).build();
    }

    public ServerConfig withCloseTimeout(Duration newTimeout) {
        return toBuilder().closeTimeout(newTimeout).build();
    }

    /** Heartbeat: ping after {@code interval} of silence, close after {@code timeout}. */
    public ServerConfig withHeartbeat(Duration interval, Duration timeout) {
        return toBuilder().heartbeat(interval, timeout).build();
    }

    public ServerConfig withLimits(ConnectionLimits newLimits) {
        return toBuilder().limits(newLimits).build();
    }

    public ServerConfig withTls(@Nullable TlsFiles newTls) {
        return toBuilder().tls(newTls).build();
    }

    public ServerConfig withTokens(@Nullable TokenVerifier newTokens) {
        return toBuilder().tokens(newTokens).build();
    }

    public ServerConfig withCompression(Compression newCompression) {
        return toBuilder().compression(newCompression).build();
    }

    public ServerConfig withHooks(Hooks newHooks) {
        return toBuilder().hooks(newHooks).build();
    }

    public ServerConfig withApiKey(@Nullable String newApiKey) {
        return toBuilder().apiKey(newApiKey).build();
    }

    /** Sets components one by one; {@link #build()} validates them all. Not thread-safe. */
    public static final class Builder {
        private String host;
        private int port;
        private int maxMessageSize;
        private QueueLimits queueLimits;
        private Duration closeTimeout;
        private Duration pingInterval;
        private Duration idleTimeout;
        private ConnectionLimits limits;
        private @Nullable TlsFiles tls;
        private @Nullable TokenVerifier tokens;
        private Compression compression;
        private @Nullable String apiKey;
        private Duration shutdownGrace;
        private ChannelRules channelRules;
        private HistoryLimits historyLimits;
        private @Nullable String redis;
        private Duration redisTimeout;
        private Duration presenceTtl;
        private boolean demo;
        private Hooks hooks;
        private @Nullable WebhookConfig webhook;

        private Builder(ServerConfig from) {
            host = from.host;
            port = from.port;
            maxMessageSize = from.maxMessageSize;
            queueLimits = from.queueLimits;
            closeTimeout = from.closeTimeout;
            pingInterval = from.pingInterval;
            idleTimeout = from.idleTimeout;
            limits = from.limits;
            tls = from.tls;
            tokens = from.tokens;
            compression = from.compression;
            apiKey = from.apiKey;
            shutdownGrace = from.shutdownGrace;
            channelRules = from.channelRules;
            historyLimits = from.historyLimits;
            redis = from.redis;
            redisTimeout = from.redisTimeout;
            presenceTtl = from.presenceTtl;
            demo = from.demo;
            hooks = from.hooks;
            webhook = from.webhook;
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder maxMessageSize(int value) {
            maxMessageSize = value;
            return this;
        }

        public Builder queueLimits(QueueLimits value) {
            queueLimits = value;
            return this;
        }

        public Builder closeTimeout(Duration value) {
            closeTimeout = value;
            return this;
        }

        /** Ping after {@code interval} of silence, close after {@code timeout}. */
        public Builder heartbeat(Duration interval, Duration timeout) {
            pingInterval = interval;
            idleTimeout = timeout;
            return this;
        }

        public Builder limits(ConnectionLimits value) {
            limits = value;
            return this;
        }

        public Builder tls(@Nullable TlsFiles value) {
            tls = value;
            return this;
        }

        public Builder tokens(@Nullable TokenVerifier value) {
            tokens = value;
            return this;
        }

        public Builder compression(Compression value) {
            compression = value;
            return this;
        }

        public Builder apiKey(@Nullable String value) {
            apiKey = value;
            return this;
        }

        public Builder shutdownGrace(Duration value) {
            shutdownGrace = value;
            return this;
        }

        public Builder channelRules(ChannelRules value) {
            channelRules = value;
            return this;
        }

        public Builder historyLimits(HistoryLimits value) {
            historyLimits = value;
            return this;
        }

        /** Redis URIs and the command timeout and presence TTL used with them. */
        public Builder redis(@Nullable String uris, Duration timeout, Duration ttl) {
            redis = uris;
            redisTimeout = timeout;
            presenceTtl = ttl;
            return this;
        }

        /** Serve the browser client and the demo page (true by default). */
        public Builder demo(boolean value) {
            demo = value;
            return this;
        }

        /** The application's hooks ({@link Hooks#NONE} by default); the server closes them when it stops. */
        public Builder hooks(Hooks value) {
            hooks = value;
            return this;
        }

        /** Where occupancy events are POSTed; null for nowhere (the default). */
        public Builder webhook(@Nullable WebhookConfig value) {
            webhook = value;
            return this;
        }

        /** @throws IllegalArgumentException or NullPointerException for an invalid combination */
        public ServerConfig build() {
            return new ServerConfig(
                    host,
                    port,
                    maxMessageSize,
                    queueLimits,
                    closeTimeout,
                    pingInterval,
                    idleTimeout,
                    limits,
                    tls,
                    tokens,
                    compression,
                    apiKey,
                    shutdownGrace,
                    channelRules,
                    historyLimits,
                    redis,
                    redisTimeout,
                    presenceTtl,
                    demo,
                    hooks,
                    webhook);
        }
    }
}
