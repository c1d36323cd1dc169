package io.reactivehub.server.cli;

import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import io.reactivehub.server.HubServer;
import io.reactivehub.server.ServerConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the hub and serves until the process is stopped. Every option also reads a HUB_* variable. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start the hub (the default command).",
                "Each option falls back to the environment variable named in its description, then to its default."},
        footer = {"", "Also: java -jar hub-server.jar client ws://localhost:8080/ws   (interactive client)"})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "${env:HUB_HOST:-0.0.0.0}",
            description = "Address to bind (HUB_HOST). Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:HUB_PORT:-8080}",
            description = "TCP port; 0 picks a free one (HUB_PORT). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--max-message-size", paramLabel = "BYTES", defaultValue = "${env:HUB_MAX_MESSAGE_SIZE:-65536}",
            description = "Largest message a client may send, after reassembling fragments; "
                    + "larger closes with 1009 (HUB_MAX_MESSAGE_SIZE). Default: ${DEFAULT-VALUE}")
    int maxMessageSize;

    @Option(names = "--queue-max-messages", paramLabel = "N", defaultValue = "${env:HUB_QUEUE_MAX_MESSAGES:-1024}",
            description = "Messages that may wait for one connection before the slow-consumer policy applies "
                    + "(HUB_QUEUE_MAX_MESSAGES). Default: ${DEFAULT-VALUE}")
    int queueMaxMessages;

    @Option(names = "--queue-max-bytes", paramLabel = "BYTES", defaultValue = "${env:HUB_QUEUE_MAX_BYTES:-1048576}",
            description = "Bytes that may wait for one connection before the slow-consumer policy applies "
                    + "(HUB_QUEUE_MAX_BYTES). Default: ${DEFAULT-VALUE}")
    long queueMaxBytes;

    @Option(names = "--slow-consumer", paramLabel = "POLICY", defaultValue = "${env:HUB_SLOW_CONSUMER:-disconnect}",
            converter = PolicyConverter.class,
            description = "What a full queue does: disconnect (close 4001) or drop-oldest "
                    + "(HUB_SLOW_CONSUMER). Default: ${DEFAULT-VALUE}")
    SlowConsumerPolicy slowConsumer;

    @Option(names = "--close-timeout", paramLabel = "DURATION", defaultValue = "${env:HUB_CLOSE_TIMEOUT:-5s}",
            converter = DurationConverter.class,
            description = "How long a server-initiated close may wait for the client before the TCP connection "
                    + "is cut, e.g. 500ms, 5s, 1m (HUB_CLOSE_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration closeTimeout;

    @Option(names = "--ping-interval", paramLabel = "DURATION", defaultValue = "${env:HUB_PING_INTERVAL:-25s}",
            converter = DurationConverter.class,
            description = "How often each connection is checked and, if it sent nothing that long, pinged "
                    + "(HUB_PING_INTERVAL). Default: ${DEFAULT-VALUE}")
    Duration pingInterval;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "${env:HUB_IDLE_TIMEOUT:-60s}",
            converter = DurationConverter.class,
            description = "Silence (not even a pong) after which a connection is closed with 4002; longer than "
                    + "the ping interval (HUB_IDLE_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration idleTimeout;

    @Override
    public Integer call() {
        QueueLimits limits = new QueueLimits(queueMaxMessages, queueMaxBytes, slowConsumer);
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, maxMessageSize, limits, closeTimeout, pingInterval, idleTimeout);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        Hub hub = Hub.create(new HubOptions(limits));
        HubServer server = HubServer.start(hub, config);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            hub.dispose();
        }, "hub-shutdown"));
        server.awaitClose();
        return 0;
    }

    static final class PolicyConverter implements picocli.CommandLine.ITypeConverter<SlowConsumerPolicy> {
        @Override
        public SlowConsumerPolicy convert(String value) {
            return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "disconnect" -> SlowConsumerPolicy.DISCONNECT;
                case "drop-oldest", "drop_oldest" -> SlowConsumerPolicy.DROP_OLDEST;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a policy: use disconnect or drop-oldest");
            };
        }
    }

    static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(java.util.Locale.ROOT);
            try {
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                if (v.endsWith("s")) {
                    return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                if (v.endsWith("m")) {
                    return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                return Duration.parse(value.trim());
            } catch (RuntimeException e) {
                throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration: use e.g. 500ms, 5s or 1m");
            }
        }
    }
}
