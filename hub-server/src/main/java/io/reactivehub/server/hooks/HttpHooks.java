package io.reactivehub.server.hooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.reactivehub.server.protocol.HubJson;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Hooks as HTTP calls to the application's backend: each event a {@code POST} of a JSON body to
 * its URL, answered with {@code 200} and {@code {"result":{...}}} or {@code {"error":{...}}} (the
 * README shows each body). Any other status, a body over the size limit, or a body that is not
 * the expected JSON fails the call ({@link HookException}, error 119); so does a backend that does
 * not answer within the hooks' timeout. One Reactor Netty {@link HttpClient} with a bounded
 * connection pool serves every call; {@link #close()} releases it. Thread-safe.
 */
public final class HttpHooks implements AutoCloseable {
    /** Largest answer accepted by default, in bytes. */
    public static final int DEFAULT_MAX_RESPONSE_SIZE = 65536;
    /** Connections to the backends by default (over every hook URL). */
    public static final int DEFAULT_MAX_CONNECTIONS = 100;

    /** The URL of each hook; null for a hook not used. */
    public record Endpoints(
            @Nullable URI connect,
            @Nullable URI refresh,
            @Nullable URI subscribe,
            @Nullable URI publish,
            @Nullable URI rpc) {
        public Endpoints {
            for (URI uri : new URI[] {connect, refresh, subscribe, publish, rpc}) {
                if (uri != null
                        && (uri.getHost() == null
                                || !("http".equalsIgnoreCase(uri.getScheme())
                                        || "https".equalsIgnoreCase(uri.getScheme())))) {
                    throw new IllegalArgumentException("a hook URL must be http:// or https:// with a host");
                }
            }
        }

        public boolean any() {
            return connect != null || refresh != null || subscribe != null || publish != null || rpc != null;
        }
    }

    private final HttpClient client;
    private final ConnectionProvider pool;
    private final int maxResponseSize;

    private HttpHooks(ConnectionProvider pool, HttpClient client, int maxResponseSize) {
        this.pool = pool;
        this.client = client;
        this.maxResponseSize = maxResponseSize;
    }

    /**
     * @param timeout         each call's bound (also the connect and pool-acquire timeouts)
     * @param maxResponseSize largest answer body accepted, in bytes
     * @param maxConnections  connections to the backends at once; calls beyond wait for one (at
     *                        most four times as many wait; more fail at once with 119)
     */
    public static HttpHooks create(Duration timeout, int maxResponseSize, int maxConnections) {
        Objects.requireNonNull(timeout, "timeout");
        if (maxResponseSize < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("the hooks' response size and connection limits must be positive");
        }
        ConnectionProvider pool = ConnectionProvider.builder("hub-hooks")
                .maxConnections(maxConnections)
                .pendingAcquireMaxCount(4 * maxConnections)
                .pendingAcquireTimeout(timeout)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        HttpClient client = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .responseTimeout(timeout)
                .followRedirect(false)
                .headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON));
        return new HttpHooks(pool, client, maxResponseSize);
    }

    /**
     * Sets the hooks of {@code endpoints} that have a URL on {@code builder}, and this client as
     * the resources the hooks release when the server stops.
     */
    public Hooks.Builder applyTo(Hooks.Builder builder, Endpoints endpoints) {
        URI connect = endpoints.connect();
        URI refresh = endpoints.refresh();
        URI subscribe = endpoints.subscribe();
        URI publish = endpoints.publish();
        URI rpc = endpoints.rpc();
        return builder.connect(
                        connect == null ? null : r -> post(connect, HookJson.connect(r), HookJson::connectResult))
                .refresh(refresh == null ? null : r -> post(refresh, HookJson.refresh(r), HookJson::refreshResult))
                .subscribe(
                        subscribe == null
                                ? null
                                : r -> post(subscribe, HookJson.subscribe(r), HookJson::subscribeDecision))
                .publish(publish == null ? null : r -> post(publish, HookJson.publish(r), HookJson::publishDecision))
                .rpc(rpc == null ? null : r -> post(rpc, HookJson.rpc(r), HookJson::rpcResult))
                .resources(this);
    }

    private <T> Mono<T> post(URI uri, ObjectNode body, Function<byte[], T> decode) {
        byte[] json;
        try {
            json = HubJson.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return Mono.error(new HookException("cannot encode the hook's request"));
        }
        return client.post()
                .uri(uri)
                .send(ByteBufFlux.fromInbound(Mono.just(Unpooled.wrappedBuffer(json))))
                .response((response, content) -> {
                    int status = response.status().code();
                    if (status != 200) {
                        return Mono.<T>error(new HookException("backend answered with HTTP status " + status));
                    }
                    String length = response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
                    if (length != null && length.length() > 10
                            || length != null
                                    && length.chars().allMatch(Character::isDigit)
                                    && Long.parseLong(length) > maxResponseSize) {
                        return Mono.<T>error(tooLarge());
                    }
                    // Counted chunk by chunk: a backend that sends more is cut off at the limit,
                    // never buffered whole.
                    return content.asByteArray()
                            .reduce(new ByteArrayOutputStream(), (out, chunk) -> {
                                if (out.size() + chunk.length > maxResponseSize) {
                                    throw tooLarge();
                                }
                                out.write(chunk, 0, chunk.length);
                                return out;
                            })
                            .defaultIfEmpty(new ByteArrayOutputStream())
                            .map(out -> decode.apply(out.toByteArray()));
                })
                .next();
    }

    private HookException tooLarge() {
        return new HookException("answer over " + maxResponseSize + " bytes");
    }

    @Override
    public void close() {
        pool.dispose();
    }
}
