package io.reactivehub.server.hooks;

import io.reactivehub.core.Durations;
import io.reactivehub.server.LogText;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The application's hooks: each optional, each a function returning a {@link Mono} of its decision.
 * An application that embeds the server implements them in Java; the server jar maps them to HTTP
 * calls ({@link HttpHooks}). Give them to {@code ServerConfig.builder().hooks(...)}:
 *
 * <pre>{@code
 * Hooks hooks = Hooks.builder()
 *         .connect(req -> Mono.just(ConnectResult.allow(userOf(req.cookies().get("session")))))
 *         .subscribe(req -> Mono.just(mayRead(req.user(), req.channel())
 *                 ? SubscribeDecision.allow() : SubscribeDecision.deny("not a member")))
 *         .forwardCookies(List.of("session"))
 *         .build();
 * HubServer server = HubServer.start(hub, ServerConfig.builder().hooks(hooks).build());
 * }</pre>
 *
 * <p>Threads: a hook is called on the connection's event loop and must not block (return a Mono
 * that completes later instead). Each call is bounded by {@link #timeout()} (the connect hook also
 * by the handshake timeout): a hook that does not answer in time, errors or answers null fails
 * the client's command with error 119 (connect: close 1013). Immutable and thread-safe.
 */
public final class Hooks {
    private static final Logger log = LoggerFactory.getLogger(Hooks.class);
    /** How long a hook may take by default. */
    public static final String DEFAULT_TIMEOUT = "5s";
    /** No hooks: the hub decides alone (tokens, or open). */
    public static final Hooks NONE = builder().build();

    /** Decides whether a connection opens, as whom, with which server-side channels and until when. */
    @FunctionalInterface
    public interface Connect {
        Mono<ConnectResult> onConnect(ConnectRequest request);
    }

    /** Extends or ends a connection whose expiry came. */
    @FunctionalInterface
    public interface Refresh {
        Mono<RefreshResult> onRefresh(RefreshRequest request);
    }

    /** Allows or denies a subscription. */
    @FunctionalInterface
    public interface Subscribe {
        Mono<SubscribeDecision> onSubscribe(SubscribeRequest request);
    }

    /** Allows, denies or rewrites a publish. */
    @FunctionalInterface
    public interface Publish {
        Mono<PublishDecision> onPublish(PublishRequest request);
    }

    /** Answers a client's rpc. */
    @FunctionalInterface
    public interface Rpc {
        Mono<RpcResult> onRpc(RpcRequest request);
    }

    private final @Nullable Connect connect;
    private final @Nullable Refresh refresh;
    private final @Nullable Subscribe subscribe;
    private final @Nullable Publish publish;
    private final @Nullable Rpc rpc;
    private final Duration timeout;
    private final List<String> forwardHeaders;
    private final List<String> forwardCookies;
    private final @Nullable AutoCloseable resources;
    /** When a failure was last logged at WARN: at most one such line per {@link #WARN_EVERY_NANOS}. */
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

    private static final long WARN_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    private Hooks(Builder b) {
        connect = b.connect;
        refresh = b.refresh;
        subscribe = b.subscribe;
        publish = b.publish;
        rpc = b.rpc;
        timeout = b.timeout;
        forwardHeaders = b.forwardHeaders;
        forwardCookies = b.forwardCookies;
        resources = b.resources;
    }

    public static Builder builder() {
        return new Builder();
    }

    public @Nullable Connect connect() {
        return connect;
    }

    public @Nullable Refresh refresh() {
        return refresh;
    }

    public @Nullable Subscribe subscribe() {
        return subscribe;
    }

    public @Nullable Publish publish() {
        return publish;
    }

    public @Nullable Rpc rpc() {
        return rpc;
    }

    /** How long one hook call may take ({@value #DEFAULT_TIMEOUT} by default). */
    public Duration timeout() {
        return timeout;
    }

    /** Request headers (lower case) given to the connect hook; none by default. */
    public List<String> forwardHeaders() {
        return forwardHeaders;
    }

    /** Cookies given to the connect hook; none by default. */
    public List<String> forwardCookies() {
        return forwardCookies;
    }

    /** Whether any hook is set. */
    public boolean any() {
        return connect != null || refresh != null || subscribe != null || publish != null || rpc != null;
    }

    /**
     * One call of a hook, as the server makes it: deferred (a hook that throws fails the call),
     * bounded by {@code limit}, and every failure turned into a {@link HookException} (error 119)
     * and logged once: at WARN (at most one line every 10 seconds, the others at debug), since a
     * failing backend degrades every client.
     *
     * @param kind  the hook: connect, refresh, subscribe, publish or rpc
     * @param who   who asked, for the log (e.g. "session 7"; no client text unescaped)
     * @param limit at most this long ({@link #timeout()}, or less)
     */
    public <T> Mono<T> call(String kind, String who, Duration limit, Supplier<Mono<T>> hook) {
        return Mono.defer(hook)
                .switchIfEmpty(Mono.error(() -> new HookException("the " + kind + " hook answered nothing")))
                .timeout(limit)
                .onErrorMap(e -> failure(kind, limit, e))
                .doOnError(e -> logFailure(who, (HookException) e));
    }

    private static HookException failure(String kind, Duration limit, Throwable e) {
        if (e instanceof HookException he) {
            return he.getMessage().startsWith("the " + kind + " hook")
                    ? he
                    : new HookException("the " + kind + " hook: " + he.getMessage(), he.failure());
        }
        if (e instanceof TimeoutException) {
            return new HookException("the " + kind + " hook did not answer within " + Durations.format(limit), null);
        }
        return new HookException("the " + kind + " hook failed", e);
    }

    private void logFailure(String who, HookException e) {
        Throwable cause = e.failure();
        String detail = cause == null ? "" : " (" + LogText.escape(cause.toString()) + ")";
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_EVERY_NANOS && lastWarn.compareAndSet(last, now)) {
            log.warn("{}: {}{}; further hook failures within 10s at debug", who, e.getMessage(), detail);
        } else {
            log.debug("{}: {}{}", who, e.getMessage(), detail);
        }
    }

    /** Releases what the hooks hold (an HTTP client's connection pool). */
    public void close() {
        if (resources != null) {
            try {
                resources.close();
            } catch (Exception e) {
                log.debug("closing the hooks failed: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("hooks:");
        if (!any()) {
            return "no hooks";
        }
        if (connect != null) s.append(" connect");
        if (refresh != null) s.append(" refresh");
        if (subscribe != null) s.append(" subscribe");
        if (publish != null) s.append(" publish");
        if (rpc != null) s.append(" rpc");
        return s.append(" (timeout ")
                .append(Durations.format(timeout))
                .append(')')
                .toString();
    }

    /** Sets hooks one by one; each is optional. Not thread-safe. */
    public static final class Builder {
        private @Nullable Connect connect;
        private @Nullable Refresh refresh;
        private @Nullable Subscribe subscribe;
        private @Nullable Publish publish;
        private @Nullable Rpc rpc;
        private Duration timeout = Durations.parse(DEFAULT_TIMEOUT);
        private List<String> forwardHeaders = List.of();
        private List<String> forwardCookies = List.of();
        private @Nullable AutoCloseable resources;

        private Builder() {}

        public Builder connect(@Nullable Connect hook) {
            connect = hook;
            return this;
        }

        public Builder refresh(@Nullable Refresh hook) {
            refresh = hook;
            return this;
        }

        public Builder subscribe(@Nullable Subscribe hook) {
            subscribe = hook;
            return this;
        }

        public Builder publish(@Nullable Publish hook) {
            publish = hook;
            return this;
        }

        public Builder rpc(@Nullable Rpc hook) {
            rpc = hook;
            return this;
        }

        /** How long one hook call may take; positive ({@value #DEFAULT_TIMEOUT} by default). */
        public Builder timeout(Duration value) {
            Objects.requireNonNull(value, "timeout");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("the hook timeout must be positive");
            }
            timeout = value;
            return this;
        }

        /** Request headers the connect hook sees (case-insensitive names); none by default. */
        public Builder forwardHeaders(List<String> names) {
            forwardHeaders = names.stream()
                    .map(n -> n.trim().toLowerCase(Locale.ROOT))
                    .filter(n -> !n.isEmpty())
                    .distinct()
                    .toList();
            return this;
        }

        /** Cookies the connect hook sees (exact names); none by default. */
        public Builder forwardCookies(List<String> names) {
            forwardCookies = names.stream()
                    .map(String::trim)
                    .filter(n -> !n.isEmpty())
                    .distinct()
                    .toList();
            return this;
        }

        /** Something {@link Hooks#close()} releases (the server closes the hooks when it stops). */
        public Builder resources(@Nullable AutoCloseable value) {
            resources = value;
            return this;
        }

        public Hooks build() {
            return new Hooks(this);
        }
    }
}
