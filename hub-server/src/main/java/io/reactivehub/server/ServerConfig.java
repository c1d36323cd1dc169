package io.reactivehub.server;

import io.reactivehub.core.QueueLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything the server needs to start. Immutable; validated on construction.
 *
 * @param host           address to bind ({@value #DEFAULT_HOST} by default: every interface)
 * @param port           TCP port; 0 picks a free one ({@value #DEFAULT_PORT} by default)
 * @param maxMessageSize largest message a client may send, after reassembling fragments, in
 *                       bytes ({@value #DEFAULT_MAX_MESSAGE_SIZE} by default); larger closes with 1009
 * @param queueLimits    each connection's delivery queue bounds and slow-consumer policy
 *                       ({@link QueueLimits#DEFAULT})
 * @param closeTimeout   how long a connection being closed by the server may take to receive
 *                       the close frame before the TCP connection is cut (5 s by default)
 * @param pingInterval   how often the server checks each connection and pings it when it has
 *                       sent nothing for that long (25 s by default)
 * @param idleTimeout    silence (not even a pong) after which a connection is closed with
 *                       {@link CloseCodes#IDLE_TIMEOUT} (60 s by default; longer than pingInterval)
 * @param limits         connection, subscription, rate and origin limits ({@link ConnectionLimits#DEFAULT})
 * @param tls            certificate chain and private key (PEM) to serve {@code wss://}; null (the
 *                       default) serves plain {@code ws://}
 * @param tokens         verifies the JWT every connection must present; null (the default) runs the
 *                       hub open: anyone may connect, subscribe and publish
 * @param compression    permessage-deflate settings ({@link Compression#DEFAULT}: on, 256-byte minimum)
 * @param apiKey         the key backends send as {@code Authorization: apikey <key>} to
 *                       {@code POST /api/publish}; null (the default) turns that endpoint off
 */
public record ServerConfig(String host, int port, int maxMessageSize, QueueLimits queueLimits,
                           Duration closeTimeout, Duration pingInterval, Duration idleTimeout,
                           ConnectionLimits limits, @Nullable TlsFiles tls,
                           io.reactivehub.server.auth.@Nullable TokenVerifier tokens, Compression compression,
                           @Nullable String apiKey) {

    /**
     * permessage-deflate (RFC 7692).
     *
     * @param enabled negotiate it when a client offers it (true by default)
     * @param minSize messages smaller than this many bytes go out uncompressed (256 by default)
     */
    public record Compression(boolean enabled, int minSize) {
        public static final Compression DEFAULT = new Compression(true, 256);
        public static final Compression OFF = new Compression(false, 256);

        public Compression {
            if (minSize < 0) {
                throw new IllegalArgumentException("minSize must not be negative, was " + minSize);
            }
        }
    }

    /**
     * PEM files for TLS.
     *
     * @param certificateChain the server certificate, then any intermediates
     * @param privateKey       its PKCS#8 private key, unencrypted
     */
    public record TlsFiles(Path certificateChain, Path privateKey) {
        public TlsFiles {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 65536;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    public static final ServerConfig DEFAULT = new ServerConfig(DEFAULT_HOST, DEFAULT_PORT,
            DEFAULT_MAX_MESSAGE_SIZE, QueueLimits.DEFAULT, DEFAULT_CLOSE_TIMEOUT, DEFAULT_PING_INTERVAL,
            DEFAULT_IDLE_TIMEOUT, ConnectionLimits.DEFAULT, null, null, Compression.DEFAULT, null);

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
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (closeTimeout.isNegative() || closeTimeout.isZero()) {
            throw new IllegalArgumentException("closeTimeout must be positive, was " + closeTimeout);
        }
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (pingInterval.isNegative() || pingInterval.isZero()) {
            throw new IllegalArgumentException("pingInterval must be positive, was " + pingInterval);
        }
        if (idleTimeout.compareTo(pingInterval) <= 0) {
            throw new IllegalArgumentException("idleTimeout (" + idleTimeout + ") must be longer than pingInterval ("
                    + pingInterval + ")");
        }
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

    public ServerConfig withTokens(io.reactivehub.server.auth.@Nullable TokenVerifier newTokens) {
        return toBuilder().tokens(newTokens).build();
    }

    public ServerConfig withCompression(Compression newCompression) {
        return toBuilder().compression(newCompression).build();
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
        private io.reactivehub.server.auth.@Nullable TokenVerifier tokens;
        private Compression compression;
        private @Nullable String apiKey;

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

        public Builder tokens(io.reactivehub.server.auth.@Nullable TokenVerifier value) {
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

        /** @throws IllegalArgumentException or NullPointerException for an invalid combination */
        public ServerConfig build() {
            return new ServerConfig(host, port, maxMessageSize, queueLimits, closeTimeout, pingInterval, idleTimeout,
                    limits, tls, tokens, compression, apiKey);
        }
    }
}
