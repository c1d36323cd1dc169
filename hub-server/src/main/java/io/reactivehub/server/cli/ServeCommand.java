package io.reactivehub.server.cli;

import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.Durations;
import io.reactivehub.core.Hub;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import io.reactivehub.core.broker.HistoryLimits;
import io.reactivehub.server.HubServer;
import io.reactivehub.server.LogText;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ConnectionLimits;
import io.reactivehub.server.config.HeapTuning;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.config.WebhookConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import sun.misc.Signal;

/** Starts the hub and serves until the process is stopped. Every option also reads a HUB_* variable. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Start the hub (the default command).",
            "Each option falls back to the environment variable named in its description, then to its default."
        },
        footer = {"", "Also: java -jar hub-server.jar client ws://localhost:8080/ws   (interactive client)"})
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(
            names = "--host",
            paramLabel = "ADDRESS",
            defaultValue = "${env:HUB_HOST:-" + ServerConfig.DEFAULT_HOST + "}",
            description = "Address to bind (HUB_HOST). Default: ${DEFAULT-VALUE}")
    String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "${env:HUB_PORT:-" + ServerConfig.DEFAULT_PORT + "}",
            description = "TCP port; 0 picks a free one (HUB_PORT). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(
            names = "--max-message-size",
            paramLabel = "BYTES",
            defaultValue = "${env:HUB_MAX_MESSAGE_SIZE:-" + ServerConfig.DEFAULT_MAX_MESSAGE_SIZE + "}",
            description = "Largest message a client may send, after reassembling fragments; "
                    + "larger closes with 1009 (HUB_MAX_MESSAGE_SIZE). Default: ${DEFAULT-VALUE}")
    int maxMessageSize;

    @Option(
            names = "--queue-max-messages",
            paramLabel = "N",
            defaultValue = "${env:HUB_QUEUE_MAX_MESSAGES:-" + QueueLimits.DEFAULT_MAX_MESSAGES + "}",
            description = "Messages that may wait for one connection before the slow-consumer policy applies "
                    + "(HUB_QUEUE_MAX_MESSAGES). Default: ${DEFAULT-VALUE}")
    int queueMaxMessages;

    @Option(
            names = "--queue-max-bytes",
            paramLabel = "BYTES",
            defaultValue = "${env:HUB_QUEUE_MAX_BYTES:-" + QueueLimits.DEFAULT_MAX_BYTES + "}",
            description = "Bytes that may wait for one connection before the slow-consumer policy applies "
                    + "(HUB_QUEUE_MAX_BYTES). Default: ${DEFAULT-VALUE}")
    long queueMaxBytes;

    @Option(
            names = "--slow-consumer",
            paramLabel = "POLICY",
            defaultValue = "${env:HUB_SLOW_CONSUMER:-" + ServerConfig.DEFAULT_SLOW_CONSUMER + "}",
            converter = PolicyConverter.class,
            description = "What a full queue does: disconnect (close 4001) or drop-oldest "
                    + "(HUB_SLOW_CONSUMER). Default: ${DEFAULT-VALUE}")
    SlowConsumerPolicy slowConsumer;

    @Option(
            names = "--close-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_CLOSE_TIMEOUT:-" + ServerConfig.DEFAULT_CLOSE_TIMEOUT + "}",
            converter = DurationConverter.class,
            description = "How long a server-initiated close may wait for the client before the TCP connection "
                    + "is cut, e.g. 500ms, 5s, 1m (HUB_CLOSE_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration closeTimeout;

    @Option(
            names = "--ping-interval",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_PING_INTERVAL:-" + ServerConfig.DEFAULT_PING_INTERVAL + "}",
            converter = DurationConverter.class,
            description = "How often each connection is checked and, if it sent nothing that long, pinged "
                    + "(HUB_PING_INTERVAL). Default: ${DEFAULT-VALUE}")
    Duration pingInterval;

    @Option(
            names = "--idle-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_IDLE_TIMEOUT:-" + ServerConfig.DEFAULT_IDLE_TIMEOUT + "}",
            converter = DurationConverter.class,
            description = "Silence (not even a pong) after which a connection is closed with 4002; longer than "
                    + "the ping interval (HUB_IDLE_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration idleTimeout;

    @Option(
            names = "--max-connections",
            paramLabel = "N",
            defaultValue = "${env:HUB_MAX_CONNECTIONS:-" + ConnectionLimits.DEFAULT_MAX_CONNECTIONS + "}",
            description =
                    "Open connections over all clients; more get HTTP 503 (HUB_MAX_CONNECTIONS). Default: ${DEFAULT-VALUE}")
    int maxConnections;

    @Option(
            names = "--max-connections-per-ip",
            paramLabel = "N",
            defaultValue = "${env:HUB_MAX_CONNECTIONS_PER_IP:-" + ConnectionLimits.DEFAULT_MAX_CONNECTIONS_PER_IP + "}",
            description = "Open connections from one address; more get HTTP 429 (HUB_MAX_CONNECTIONS_PER_IP). "
                    + "Default: ${DEFAULT-VALUE}")
    int maxConnectionsPerIp;

    @Option(
            names = "--max-connections-per-user",
            paramLabel = "N",
            defaultValue =
                    "${env:HUB_MAX_CONNECTIONS_PER_USER:-" + ConnectionLimits.DEFAULT_MAX_CONNECTIONS_PER_USER + "}",
            description = "Open connections of one user (token subject or connect-hook user) on this node; more are "
                    + "closed at once with 4007 (HUB_MAX_CONNECTIONS_PER_USER). Default: ${DEFAULT-VALUE}")
    int maxConnectionsPerUser;

    @Mixin
    HookOptions hookOptions = new HookOptions();

    @Option(
            names = "--max-subscriptions",
            paramLabel = "N",
            defaultValue = "${env:HUB_MAX_SUBSCRIPTIONS:-" + ConnectionLimits.DEFAULT_MAX_SUBSCRIPTIONS + "}",
            description = "Channels one hub-protocol connection may subscribe to; more get error 110 "
                    + "(HUB_MAX_SUBSCRIPTIONS). Default: ${DEFAULT-VALUE}")
    int maxSubscriptions;

    @Option(
            names = "--publish-rate",
            paramLabel = "MSG_PER_S",
            defaultValue = "${env:HUB_PUBLISH_RATE:-" + ConnectionLimits.DEFAULT_PUBLISH_RATE + "}",
            description = "Messages per second one connection may publish (token bucket); over it a hub-protocol "
                    + "publish gets error 111 and a raw message is dropped; " + ConnectionLimits.ABUSE_THRESHOLD
                    + " refusals in a row close with 1008; "
                    + "0 = no limit (HUB_PUBLISH_RATE). Default: ${DEFAULT-VALUE}")
    int publishRate;

    @Option(
            names = "--publish-burst",
            paramLabel = "N",
            defaultValue = "${env:HUB_PUBLISH_BURST:-" + ConnectionLimits.DEFAULT_PUBLISH_BURST + "}",
            description = "Messages a connection may publish at once above the rate (HUB_PUBLISH_BURST). "
                    + "Default: ${DEFAULT-VALUE}")
    int publishBurst;

    @Option(
            names = "--allowed-origins",
            paramLabel = "ORIGINS",
            split = ",",
            defaultValue = "${env:HUB_ALLOWED_ORIGINS:-}",
            description =
                    "Comma-separated browser origins allowed to connect, e.g. https://app.example.com; others get "
                            + "HTTP 403; empty = any origin; requests without an Origin header are always allowed "
                            + "(HUB_ALLOWED_ORIGINS). Default: any")
    List<String> allowedOrigins;

    @Option(
            names = "--command-rate",
            paramLabel = "PER_S",
            defaultValue = "${env:HUB_COMMAND_RATE:-" + ConnectionLimits.DEFAULT_COMMAND_RATE + "}",
            description = "Hub-protocol commands other than publish (subscribe, unsubscribe, history, presence, "
                    + "refresh, ping) one connection may send per second; more get error 111, "
                    + ConnectionLimits.ABUSE_THRESHOLD + " refusals in a row close with 1008 (HUB_COMMAND_RATE). "
                    + "Default: ${DEFAULT-VALUE}")
    int commandRate;

    @Option(
            names = "--command-burst",
            paramLabel = "N",
            defaultValue = "${env:HUB_COMMAND_BURST:-" + ConnectionLimits.DEFAULT_COMMAND_BURST + "}",
            description = "Such commands a connection may send at once above the rate (HUB_COMMAND_BURST). "
                    + "Default: ${DEFAULT-VALUE}")
    int commandBurst;

    @Option(
            names = "--handshake-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_HANDSHAKE_TIMEOUT:-" + ConnectionLimits.DEFAULT_HANDSHAKE_TIMEOUT + "}",
            converter = DurationConverter.class,
            description = "A new connection's first request (an upgrade, or any HTTP request with its body) must "
                    + "arrive within this, else it is closed (HUB_HANDSHAKE_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration handshakeTimeout;

    @Option(
            names = "--keep-alive-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_KEEP_ALIVE_TIMEOUT:-" + ConnectionLimits.DEFAULT_KEEP_ALIVE_TIMEOUT + "}",
            converter = DurationConverter.class,
            description = "An HTTP connection (not a WebSocket) idle this long between requests is closed "
                    + "(HUB_KEEP_ALIVE_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration keepAliveTimeout;

    @Option(
            names = "--max-pending-connections",
            paramLabel = "N",
            defaultValue =
                    "${env:HUB_MAX_PENDING_CONNECTIONS:-" + ConnectionLimits.DEFAULT_MAX_PENDING_CONNECTIONS + "}",
            description = "Connections accepted and not upgraded to a WebSocket (handshaking, or HTTP requests); "
                    + "more are closed at once (HUB_MAX_PENDING_CONNECTIONS). Default: ${DEFAULT-VALUE}")
    int maxPendingConnections;

    @Option(
            names = "--max-pending-connections-per-ip",
            paramLabel = "N",
            defaultValue = "${env:HUB_MAX_PENDING_CONNECTIONS_PER_IP:-"
                    + ConnectionLimits.DEFAULT_MAX_PENDING_CONNECTIONS_PER_IP + "}",
            description = "The same from one remote address (HUB_MAX_PENDING_CONNECTIONS_PER_IP). "
                    + "Default: ${DEFAULT-VALUE}")
    int maxPendingConnectionsPerIp;

    @Option(
            names = "--max-history-bytes",
            paramLabel = "BYTES",
            defaultValue = "${env:HUB_MAX_HISTORY_BYTES:-" + HistoryLimits.DEFAULT_MAX_BYTES + "}",
            description = "Without --redis: payload bytes kept in history over all channels; a publish past it is "
                    + "refused with error 110 (HUB_MAX_HISTORY_BYTES). Default: ${DEFAULT-VALUE}")
    long maxHistoryBytes;

    @Option(
            names = "--max-history-channels",
            paramLabel = "N",
            defaultValue = "${env:HUB_MAX_HISTORY_CHANNELS:-" + HistoryLimits.DEFAULT_MAX_CHANNELS + "}",
            description = "Without --redis: channels keeping history at once; a publish starting another one is "
                    + "refused with error 110 (HUB_MAX_HISTORY_CHANNELS). Default: ${DEFAULT-VALUE}")
    int maxHistoryChannels;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            defaultValue = "${env:HUB_TLS_CERT}",
            description = "PEM certificate chain: serve wss:// (with --tls-key) (HUB_TLS_CERT)")
    Path tlsCert;

    @Option(
            names = "--tls-key",
            paramLabel = "FILE",
            defaultValue = "${env:HUB_TLS_KEY}",
            description = "PEM PKCS#8 private key of --tls-cert (HUB_TLS_KEY)")
    Path tlsKey;

    @Option(
            names = "--tls-ciphers",
            paramLabel = "SUITES",
            split = ",",
            defaultValue = "${env:HUB_TLS_CIPHERS}",
            description =
                    "Comma-separated TLS cipher suites (Java names) to offer instead of the default: TLS 1.3's and "
                            + "ECDHE with AES-GCM or ChaCha20-Poly1305 (HUB_TLS_CIPHERS). TLS 1.2 and 1.3 only")
    List<String> tlsCiphers;

    @Option(
            names = "--jwt-issuer",
            paramLabel = "ISS",
            defaultValue = "${env:HUB_JWT_ISSUER}",
            description = "With --jwt-secret or --jwt-public-key: tokens must carry this issuer (iss) (HUB_JWT_ISSUER)")
    String jwtIssuer;

    @Option(
            names = "--jwt-audience",
            paramLabel = "AUD",
            defaultValue = "${env:HUB_JWT_AUDIENCE}",
            description =
                    "With --jwt-secret or --jwt-public-key: tokens' audience (aud) must include this (HUB_JWT_AUDIENCE)")
    String jwtAudience;

    @Option(
            names = "--jwt-secret",
            paramLabel = "SECRET",
            defaultValue = "${env:HUB_JWT_SECRET}",
            description = "Require HS256 JWTs signed with this secret (at least 32 bytes) (HUB_JWT_SECRET)")
    String jwtSecret;

    @Option(
            names = "--jwt-public-key",
            paramLabel = "FILE",
            defaultValue = "${env:HUB_JWT_PUBLIC_KEY}",
            description =
                    "Require JWTs signed by this PEM public key: RS256 for RSA, ES256 for EC (HUB_JWT_PUBLIC_KEY)")
    Path jwtPublicKey;

    @Option(
            names = "--no-compression",
            defaultValue = "${env:HUB_NO_COMPRESSION:-false}",
            description = "Do not negotiate permessage-deflate (HUB_NO_COMPRESSION=true). Default: compression on")
    boolean noCompression;

    @Option(
            names = "--no-demo",
            defaultValue = "${env:HUB_NO_DEMO:-false}",
            description = "Do not serve the browser client (/hub.js, /hub.d.ts) and the chat demo page (/demo/) "
                    + "(HUB_NO_DEMO=true). Default: served")
    boolean noDemo;

    @Option(
            names = "--compression-min-size",
            paramLabel = "BYTES",
            defaultValue = "${env:HUB_COMPRESSION_MIN_SIZE:-" + ServerConfig.Compression.DEFAULT_MIN_SIZE + "}",
            description =
                    "Messages smaller than this go out uncompressed (HUB_COMPRESSION_MIN_SIZE). Default: ${DEFAULT-VALUE}")
    int compressionMinSize;

    @Option(
            names = "--api-key",
            paramLabel = "KEY",
            defaultValue = "${env:HUB_API_KEY}",
            description =
                    "Turn on the server API (POST /api/publish, GET /api/channels/{channel}/presence and /history) "
                            + "for backends sending 'Authorization: apikey KEY' (HUB_API_KEY)")
    String apiKey;

    @Option(
            names = "--redis",
            paramLabel = "URI[,URI...]",
            defaultValue = "${env:HUB_REDIS}",
            description = "Share channels, history and presence with other hub nodes through Redis: redis://host:port "
                    + "(a standalone server or a Redis Cluster node, detected; several comma-separated URIs seed a "
                    + "cluster). Without it the hub runs alone, in memory (HUB_REDIS)")
    String redis;

    @Option(
            names = "--redis-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_REDIS_TIMEOUT:-" + ServerConfig.DEFAULT_REDIS_TIMEOUT + "}",
            converter = DurationConverter.class,
            description = "How long a Redis command may take before it fails with error 114, or 118 for a publish "
                    + "(outcome unknown) (HUB_REDIS_TIMEOUT). "
                    + "Default: ${DEFAULT-VALUE}")
    Duration redisTimeout;

    @Option(
            names = "--presence-ttl",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_PRESENCE_TTL:-" + ServerConfig.DEFAULT_PRESENCE_TTL + "}",
            converter = DurationConverter.class,
            description = "With --redis: how long a client stays in presence after its node stops refreshing it "
                    + "(a node refreshes every TTL/3; a node that dies leaves stale entries for at most this long) "
                    + "(HUB_PRESENCE_TTL). Default: ${DEFAULT-VALUE}")
    Duration presenceTtl;

    @Option(
            names = "--webhook",
            paramLabel = "URL",
            defaultValue = "${env:HUB_WEBHOOK}",
            description = "POST this node's occupancy events (channel occupied/vacated, user online/offline) as JSON "
                    + "to this http(s) URL, signed with --webhook-secret (HUB_WEBHOOK). Default: off")
    String webhook;

    @Option(
            names = "--webhook-secret",
            paramLabel = "SECRET",
            defaultValue = "${env:HUB_WEBHOOK_SECRET}",
            description = "With --webhook (required): key of the X-Hub-Signature-256 header, "
                    + "sha256=hex(HMAC-SHA256(secret, body)); at least 16 bytes (HUB_WEBHOOK_SECRET)")
    String webhookSecret;

    @Option(
            names = "--webhook-max-pending",
            paramLabel = "N",
            defaultValue = "${env:HUB_WEBHOOK_MAX_PENDING:-" + WebhookConfig.DEFAULT_MAX_PENDING + "}",
            description = "Events waiting for the webhook; past it the oldest is dropped and counted "
                    + "(HUB_WEBHOOK_MAX_PENDING). Default: ${DEFAULT-VALUE}")
    int webhookMaxPending;

    @Option(
            names = "--webhook-max-attempts",
            paramLabel = "N",
            defaultValue = "${env:HUB_WEBHOOK_MAX_ATTEMPTS:-" + WebhookConfig.DEFAULT_MAX_ATTEMPTS + "}",
            description = "Attempts per batch (backoff 200ms doubling to 30s) before it is dropped and counted "
                    + "(HUB_WEBHOOK_MAX_ATTEMPTS). Default: ${DEFAULT-VALUE}")
    int webhookMaxAttempts;

    @Option(
            names = "--webhook-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_WEBHOOK_TIMEOUT:-" + WebhookConfig.DEFAULT_TIMEOUT + "}",
            converter = DurationConverter.class,
            description = "How long one webhook POST may take, connecting included; longer is a failed attempt "
                    + "(HUB_WEBHOOK_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration webhookTimeout;

    @Option(
            names = "--channel-options",
            paramLabel = "PATTERN=OPTIONS",
            split = ";",
            defaultValue = "${env:HUB_CHANNEL_OPTIONS:-}",
            description = "History and presence by channel pattern, first match wins, repeatable (or ';'-separated in "
                    + "HUB_CHANNEL_OPTIONS): PATTERN is a name, a prefix ending in * or *; OPTIONS are history:N, "
                    + "ttl:DURATION (history dropped after that long without a publish; default 5m), presence, join-leave. "
                    + "E.g. 'chat:*=history:100,ttl:10m,presence,join-leave'. Default: no history, no presence")
    List<String> channelOptions;

    @Option(
            names = "--shutdown-grace",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_SHUTDOWN_GRACE:-" + ServerConfig.DEFAULT_SHUTDOWN_GRACE + "}",
            converter = DurationConverter.class,
            description = "On SIGTERM or SIGINT: how long connections get to receive what is queued and the 1001 close "
                    + "before they are cut (HUB_SHUTDOWN_GRACE). Default: ${DEFAULT-VALUE}")
    Duration shutdownGrace;

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + LogText.maskUserInfo(e.getMessage()));
            return 2;
        }
        HeapTuning.apply();
        Hub hub;
        try {
            hub = Hub.create(config.hubOptions());
        } catch (RuntimeException e) {
            // Only the broker can fail here: connecting to Redis.
            System.err.println((config.redis() != null
                            ? "error: cannot connect to Redis at " + LogText.maskUserInfo(config.redis()) + ": "
                            : "error: cannot create the hub: ")
                    + LogText.maskUserInfo(e.getMessage()));
            return 1;
        }
        if (config.hooks().any()) {
            LOG.info("{}", config.hooks());
        }
        if (!config.channelRules().rules().isEmpty()) {
            LOG.info("channel options: {}", config.channelRules());
        }
        return serve(hub, config);
    }

    /** Every option into one validated configuration. */
    ServerConfig config() {
        List<String> origins = allowedOrigins == null
                ? List.of()
                : allowedOrigins.stream()
                        .map(String::trim)
                        .filter(o -> !o.isEmpty())
                        .toList();
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (jwtSecret != null && jwtPublicKey != null) {
            throw new IllegalArgumentException("use --jwt-secret or --jwt-public-key, not both");
        }
        TokenVerifier tokens = jwtSecret != null
                ? TokenVerifier.hmac(jwtSecret)
                : jwtPublicKey != null ? TokenVerifier.publicKey(jwtPublicKey) : null;
        if (tokens == null && (jwtIssuer != null || jwtAudience != null)) {
            throw new IllegalArgumentException("--jwt-issuer and --jwt-audience need --jwt-secret or --jwt-public-key");
        }
        if (tokens != null) {
            tokens = tokens.withIssuer(jwtIssuer).withAudience(jwtAudience);
        }
        List<String> ciphers = tlsCiphers == null
                ? List.of()
                : tlsCiphers.stream()
                        .map(String::trim)
                        .filter(c -> !c.isEmpty())
                        .toList();
        if (tlsCert == null && !ciphers.isEmpty()) {
            throw new IllegalArgumentException("--tls-ciphers needs --tls-cert and --tls-key");
        }
        ChannelRules rules = ChannelRules.parse(
                channelOptions == null
                        ? List.of()
                        : channelOptions.stream()
                                .map(String::trim)
                                .filter(o -> !o.isEmpty())
                                .toList());
        if (webhook == null && webhookSecret != null) {
            throw new IllegalArgumentException("--webhook-secret needs --webhook");
        }
        if (webhook != null && webhookSecret == null) {
            throw new IllegalArgumentException("--webhook needs --webhook-secret (its signature key)");
        }
        WebhookConfig hook;
        try {
            hook = webhook == null
                    ? null
                    : new WebhookConfig(
                            URI.create(webhook.trim()),
                            webhookSecret,
                            webhookMaxPending,
                            webhookMaxAttempts,
                            webhookTimeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--webhook: " + e.getMessage(), e);
        }
        return ServerConfig.builder()
                .webhook(hook)
                .host(host)
                .port(port)
                .maxMessageSize(maxMessageSize)
                .queueLimits(new QueueLimits(queueMaxMessages, queueMaxBytes, slowConsumer))
                .closeTimeout(closeTimeout)
                .heartbeat(pingInterval, idleTimeout)
                .limits(new ConnectionLimits(
                        maxConnections,
                        maxConnectionsPerIp,
                        maxSubscriptions,
                        publishRate,
                        publishBurst,
                        origins,
                        handshakeTimeout,
                        keepAliveTimeout,
                        maxPendingConnections,
                        maxPendingConnectionsPerIp,
                        commandRate,
                        commandBurst,
                        maxConnectionsPerUser))
                .tls(
                        tlsCert == null
                                ? null
                                : new ServerConfig.TlsFiles(
                                        tlsCert,
                                        tlsKey,
                                        ciphers.isEmpty() ? ServerConfig.TlsFiles.DEFAULT_CIPHERS : ciphers))
                .tokens(tokens)
                .compression(new ServerConfig.Compression(!noCompression, compressionMinSize))
                .apiKey(apiKey)
                .shutdownGrace(shutdownGrace)
                .channelRules(rules)
                .historyLimits(new HistoryLimits(maxHistoryChannels, maxHistoryBytes))
                .redis(redis, redisTimeout, presenceTtl)
                .demo(!noDemo)
                .hooks(hookOptions.hooks())
                .build();
    }

    /** Serves until SIGTERM or SIGINT, then shuts down gracefully; the exit code. */
    private static int serve(Hub hub, ServerConfig config) {
        // SIGTERM/SIGINT start a graceful shutdown on this thread, which then returns 0; handling
        // the signals ourselves (instead of a shutdown hook) is what lets the exit code be 0.
        // Installed before the server announces its port, so a signal sent as soon as it listens
        // is still a graceful shutdown.
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                LOG.info("SIG{} received: shutting down", signal.getName());
                stop.countDown();
            });
        }
        HubServer server;
        try {
            server = HubServer.start(hub, config);
        } catch (RuntimeException e) {
            // A bad certificate or key, or a port in use: one line, no stack trace.
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            System.err.println("error: cannot start: " + (root.getMessage() != null ? root.getMessage() : root));
            hub.dispose();
            return 1;
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.shutdown(config.shutdownGrace());
            hub.dispose();
        } catch (RuntimeException | Error e) {
            LOG.error("shutdown failed", e);
            throw e;
        }
        return 0;
    }

    static final class PolicyConverter implements ITypeConverter<SlowConsumerPolicy> {
        @Override
        public SlowConsumerPolicy convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "disconnect" -> SlowConsumerPolicy.DISCONNECT;
                case "drop-oldest", "drop_oldest" -> SlowConsumerPolicy.DROP_OLDEST;
                default ->
                    throw new TypeConversionException("'" + value + "' is not a policy: use disconnect or drop-oldest");
            };
        }
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a duration: use e.g. 500ms, 5s or 1m");
            }
        }
    }
}
