package io.reactivehub.server.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Durations;
import io.reactivehub.core.Hub;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.LogText;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.config.ConnectionLimits;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.hooks.RefreshRequest;
import io.reactivehub.server.transport.ConnectionWriter;
import io.reactivehub.server.transport.FrameGuards;
import io.reactivehub.server.transport.HubPipeline;
import io.reactivehub.server.transport.SharedDeflateHandshaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * One WebSocket connection, whatever its protocol: who it is (its token), its
 * {@link Subscriptions}, its publish budget and its single bounded outbound queue of encoded frames
 * ({@link ConnectionWriter}). Its {@link ProtocolHandler} gives frames their meaning.
 *
 * <p>Threads: inbound frames, timers, the close and the channels' deliveries (the fan-out task of
 * each channel for this event loop) run on the connection's event loop; replies completed
 * elsewhere (a Redis answer) arrive from other threads and only touch the thread-safe writer.
 */
public final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final AtomicLong IDS = new AtomicLong();
    /** Makes session ids unique across nodes (they name clients in presence). */
    private static final String NODE =
            Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);

    private final String id = NODE + "-" + IDS.incrementAndGet();
    private final SessionContext context;
    private final ProtocolHandler protocol;
    private final String ip;
    private final Subscriptions subscriptions;
    private final @Nullable PublishBudget budget;
    private final PublishBudget commands;
    private final LogBudget logBudget = new LogBudget();
    private static final AtomicIntegerFieldUpdater<Session> RELEASED =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "released");
    private static final AtomicIntegerFieldUpdater<Session> CLOSING =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "closing");
    private volatile int released;
    private volatile int closing;
    private volatile @Nullable Principal principal;
    private volatile @Nullable Connection connection;
    private volatile @Nullable WebsocketOutbound outbound;
    private volatile @Nullable ConnectionWriter writer;
    /** How this connection's pushes are encoded: chosen once it opens. */
    private volatile @Nullable Codec codec;

    private @Nullable ScheduledFuture<?> expiry;
    /** Why the connection closes as soon as it opens (the connect hook refused it), or null. */
    private volatile @Nullable DisconnectReason refusal;
    /** The user id this session is indexed under in the registry, once open; null when not indexed. */
    private volatile @Nullable String indexedUser;

    private static final AtomicIntegerFieldUpdater<Session> HOOK_CALLS =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "hookCalls");
    /** Hook calls (subscribe, rpc) in flight for this connection. */
    private volatile int hookCalls;
    /** This connection's publishes through the publish hook, in order; made at the first (idle connections carry none). */
    private @Nullable CallQueue publishes;

    /** Hook calls one connection may have in flight (and publishes waiting for the publish hook). */
    public static final int MAX_HOOK_CALLS = 32;
    /** Counts this connection for its user's occupancy (online/offline) until released. */
    private volatile Disposable occupancy = Disposables.disposed();

    /**
     * @param ip        the remote address, whose connection slot this session gives back when it ends
     * @param principal who the verified token says this is, or null when the hub runs open
     */
    public Session(SessionContext context, ProtocolHandler protocol, String ip, @Nullable Principal principal) {
        this.context = context;
        this.protocol = protocol;
        this.ip = ip;
        this.principal = principal;
        this.subscriptions = new Subscriptions(this);
        ConnectionLimits limits = context.config().limits();
        this.budget = limits.publishRate() > 0 ? new PublishBudget(limits.publishRate(), limits.publishBurst()) : null;
        this.commands = new PublishBudget(limits.commandRate(), limits.commandBurst());
    }

    /** Unique across nodes: names the client in presence and the session in logs. */
    public String id() {
        return id;
    }

    public Hub hub() {
        return context.hub();
    }

    public ServerConfig config() {
        return context.config();
    }

    public HubMetrics metrics() {
        return context.metrics();
    }

    public Subscriptions subscriptions() {
        return subscriptions;
    }

    /** Who the connection's token says it is; null when the hub runs open. */
    public @Nullable Principal principal() {
        return principal;
    }

    /** Who this connection is in presence: its id and its token's subject. */
    public ClientInfo clientInfo() {
        Principal p = principal;
        return new ClientInfo(id, p == null ? null : p.subject());
    }

    /**
     * Whether the token (if any) allows subscribing to {@code channel}; never another user's
     * personal channel ({@code name#user}), and without a user (a hub running open) none at all.
     */
    public boolean maySubscribe(ChannelName channel) {
        Principal p = principal;
        return p == null ? channel.owner() == null : p.maySubscribe(channel);
    }

    /** Whether {@code channel} is not another user's personal channel. */
    public boolean owns(ChannelName channel) {
        Principal p = principal;
        return p == null ? channel.owner() == null : p.owns(channel);
    }

    /** The user id ("" when anonymous or the hub runs open). */
    public String user() {
        Principal p = principal;
        return p == null ? "" : p.subject();
    }

    /** The user id this session is indexed under, or null. */
    @Nullable
    String indexedUser() {
        return indexedUser;
    }

    /** The connect hook allowed the connection as {@code who}; before it opens. */
    public void authenticated(Principal who) {
        principal = who;
    }

    /** The connect hook refused the connection (or failed): it closes with {@code why} as soon as it opens. */
    public void refuse(DisconnectReason why) {
        refusal = why;
    }

    /** Whether another hook call may start (then {@link #hookCallEnded()} must follow). */
    public boolean tryHookCall() {
        if (HOOK_CALLS.incrementAndGet(this) > MAX_HOOK_CALLS) {
            HOOK_CALLS.decrementAndGet(this);
            return false;
        }
        return true;
    }

    public void hookCallEnded() {
        HOOK_CALLS.decrementAndGet(this);
    }

    /** This connection's publishes through the publish hook, in the order sent. */
    public synchronized CallQueue publishes() {
        CallQueue queue = publishes;
        if (queue == null) {
            queue = new CallQueue(MAX_HOOK_CALLS);
            publishes = queue;
        }
        return queue;
    }

    /** Whether the token (if any) allows publishing to {@code channel}. */
    public boolean mayPublishTo(ChannelName channel) {
        Principal p = principal;
        return p == null || p.mayPublish(channel);
    }

    /**
     * Whether this connection may send one more command other than publish now. When it may not,
     * the refusal is counted, and a connection that keeps sending into the limit is closed with 1008.
     */
    public boolean mayCommand() {
        if (commands.tryTake()) {
            return true;
        }
        metrics().rateLimited();
        if (commands.abusive() && closing == 0) {
            log.info(
                    "session {} ({}): kept sending commands over {}/s; closing with {}",
                    id,
                    describe(),
                    config().limits().commandRate(),
                    DisconnectReason.RATE_LIMITED.code());
            close(DisconnectReason.RATE_LIMITED);
        }
        return false;
    }

    /**
     * Whether this connection may publish one more message now. When it may not, the refusal is
     * counted, and a connection that keeps publishing into the limit is closed with 1008.
     */
    public boolean mayPublish() {
        if (budget == null || budget.tryTake()) {
            return true;
        }
        metrics().rateLimited();
        if (budget.abusive() && closing == 0) {
            log.info(
                    "session {} ({}): kept publishing over {} msg/s; closing with {}",
                    id,
                    describe(),
                    config().limits().publishRate(),
                    DisconnectReason.RATE_LIMITED.code());
            close(DisconnectReason.RATE_LIMITED);
        }
        return false;
    }

    /**
     * Whether a line about this client's misbehaviour (a refused command, say) may be logged at INFO
     * now: at most {@value LogBudget#LINES_PER_MINUTE} a minute per connection; the first one over
     * that logs, instead, that further lines are suppressed. Lines that end the connection are not
     * counted: they come once.
     */
    public boolean mayLogMisbehaviour() {
        return switch (logBudget.take()) {
            case LOG -> true;
            case SUPPRESS_NOTICE -> {
                log.info(
                        "session {} ({}): more than {} lines about this connection within a minute; "
                                + "further messages suppressed",
                        id,
                        describe(),
                        LogBudget.LINES_PER_MINUTE);
                yield false;
            }
            case SUPPRESSED -> false;
        };
    }

    /**
     * Runs {@code task} on the connection's event loop (the one that runs its protocol); false
     * when the connection is not open.
     */
    public boolean execute(Runnable task) {
        Connection c = connection;
        if (c == null || !isOpen()) {
            return false;
        }
        try {
            c.channel().eventLoop().execute(task);
            return true;
        } catch (RuntimeException e) { // closed and deregistered meanwhile
            return false;
        }
    }

    /** The server subscribes this connection to {@code channel} (server API); on the event loop. */
    public boolean subscribeByServer(ChannelName channel) {
        return protocol.subscribeByServer(this, channel);
    }

    /** The server ends this connection's subscription to {@code channel} (server API); on the event loop. */
    public boolean unsubscribeByServer(ChannelName channel) {
        return protocol.unsubscribeByServer(this, channel);
    }

    /**
     * The server sets a new expiry (server API refresh): the connection then closes with 4003 or
     * asks the refresh hook, as at its token's expiry. On the event loop; nothing for a connection
     * without a principal.
     */
    public void expireAt(Instant next) {
        Principal p = principal;
        if (p != null) {
            refreshed(p.expiringAt(next));
        }
    }

    /** Replaces the token (a refresh): new permissions, new expiry. On the event loop. */
    public void refreshed(Principal next) {
        principal = next;
        Connection c = connection;
        if (c != null) {
            scheduleExpiry(c);
        }
    }

    /**
     * Closes the connection with 4003 when its token expires (re-armed by each refresh); a
     * connection the connect hook allowed asks the refresh hook, if there is one, instead.
     */
    private void scheduleExpiry(Connection c) {
        Principal p = principal;
        if (p == null || p.expiresAt() == null) {
            return;
        }
        ScheduledFuture<?> previous = expiry;
        if (previous != null) {
            previous.cancel(false);
        }
        long delay = Math.max(0, Objects.requireNonNull(p.expiresAt()).toEpochMilli() - System.currentTimeMillis());
        expiry = c.channel()
                .eventLoop()
                .schedule(
                        () -> {
                            Hooks.Refresh hook = config().hooks().refresh();
                            if (!p.fromToken() && hook != null) {
                                refreshByHook(c, p, hook, 1);
                                return;
                            }
                            log.info(
                                    "session {} ({}): {} of '{}' expired; closing with {}",
                                    id,
                                    describe(),
                                    p.fromToken() ? "token" : "connection",
                                    LogText.escape(p.subject()),
                                    DisconnectReason.TOKEN_EXPIRED.code());
                            close(p.fromToken() ? DisconnectReason.TOKEN_EXPIRED : DisconnectReason.CONNECTION_EXPIRED);
                        },
                        delay,
                        TimeUnit.MILLISECONDS);
    }

    /** Refresh attempts at one expiry before the connection is closed with 1013. */
    static final int REFRESH_ATTEMPTS = 3;
    /** Wait between refresh attempts. */
    static final Duration REFRESH_RETRY = Duration.ofSeconds(5);

    /**
     * The connection's expiry came: the refresh hook extends it (the timer is re-armed) or ends it
     * (4003); when the hook fails, it is asked again {@value #REFRESH_ATTEMPTS} times in all, then
     * the connection closes with 1013.
     */
    private void refreshByHook(Connection c, Principal p, Hooks.Refresh hook, int attempt) {
        if (!isOpen()) {
            return;
        }
        Hooks hooks = config().hooks();
        RefreshRequest request = new RefreshRequest(id, p.subject(), p.info());
        hooks.call("refresh", "session " + id, hooks.timeout(), () -> hook.onRefresh(request))
                .subscribe(
                        result -> c.channel().eventLoop().execute(() -> {
                            Instant next = result.expiresAt();
                            if (next == null) {
                                log.info(
                                        "session {}: the refresh hook ended the connection of '{}'; closing with {}",
                                        id,
                                        LogText.escape(p.subject()),
                                        DisconnectReason.CONNECTION_EXPIRED.code());
                                close(DisconnectReason.CONNECTION_EXPIRED);
                            } else {
                                principal = p.expiringAt(next);
                                scheduleExpiry(c);
                            }
                        }),
                        e -> {
                            if (attempt >= REFRESH_ATTEMPTS) {
                                log.info(
                                        "session {}: refresh failed {} times; closing with {}",
                                        id,
                                        attempt,
                                        DisconnectReason.REFRESH_HOOK_FAILED.code());
                                close(DisconnectReason.REFRESH_HOOK_FAILED);
                            } else {
                                c.channel()
                                        .eventLoop()
                                        .schedule(
                                                () -> refreshByHook(c, p, hook, attempt + 1),
                                                REFRESH_RETRY.toMillis(),
                                                TimeUnit.MILLISECONDS);
                            }
                        });
    }

    /** The Reactor Netty WebSocket handler body for this session. */
    public Publisher<Void> handle(WebsocketInbound in, WebsocketOutbound out) {
        this.outbound = out;
        context.sessions().add(this, ip);
        occupancy = hub().connected(clientInfo());
        // The upgrade is done and everything the session needs from the request was taken: an idle
        // connection should not keep the request's (or the 101's) headers for its whole life.
        in.headers().clear();
        if (out instanceof HttpServerResponse response) {
            response.responseHeaders().clear();
        }
        in.withConnection(this::open);
        DisconnectReason refused = refusal != null ? refusal : overUserLimit();
        if (refused != null) {
            refusal = refused;
            close(refused);
        } else {
            protocol.opened(this);
        }
        return new InboundFrames(
                in.receiveObject(),
                frame -> {
                    if (refusal == null) {
                        protocol.onFrame(this, frame);
                    }
                },
                e -> log.debug("session {}: inbound ended: {}", id, LogText.escape(e.toString())),
                this::release);
    }

    /** Indexes the session under its user; the reason to close when the user has too many connections. */
    private @Nullable DisconnectReason overUserLimit() {
        String user = user();
        if (user.isEmpty()) {
            return null;
        }
        int max = config().limits().maxConnectionsPerUser();
        if (!context.sessions().addUser(this, user, max)) {
            log.info(
                    "session {}: user '{}' has {} connections on this node, the maximum; closing with {}",
                    id,
                    LogText.escape(user),
                    max,
                    DisconnectReason.USER_CONNECTION_LIMIT.code());
            metrics().rejected("max_connections_per_user");
            return DisconnectReason.USER_CONNECTION_LIMIT;
        }
        indexedUser = user;
        return null;
    }

    private void open(Connection c) {
        connection = c;
        codec = protocol.codec(SharedDeflateHandshaker.isNegotiated(c.channel()));
        writer = HubPipeline.install(c, config(), metrics(), this::slowConsumer, this::idle);
        c.onDispose(this::connectionClosed);
        scheduleExpiry(c);
        log.debug("session {}: open from {} ({})", id, c.channel().remoteAddress(), describe());
    }

    /** On the event loop, once: the peer was silent for the idle timeout. */
    private void idle(ChannelHandlerContext ctx) {
        log.info(
                "session {} ({}): silent for {}, closing with {}",
                id,
                describe(),
                Durations.format(config().idleTimeout()),
                DisconnectReason.IDLE_TIMEOUT.code());
        metrics().idleTimeout();
        // The peer is likely gone: send the close frame and cut the connection without waiting.
        FrameGuards.closeWith(ctx, DisconnectReason.IDLE_TIMEOUT.code(), DisconnectReason.IDLE_TIMEOUT.reason());
    }

    /** On the event loop, once: the writer overflowed under the disconnect policy (backlog already discarded). */
    private void slowConsumer() {
        QueueLimits limits = config().queueLimits();
        log.info(
                "session {} ({}): slow consumer, more than {} messages or {} bytes waiting; closing with {}",
                id,
                describe(),
                limits.maxMessages(),
                limits.maxBytes(),
                DisconnectReason.SLOW_CONSUMER.code());
        metrics().slowConsumer();
        close(DisconnectReason.SLOW_CONSUMER);
    }

    /** The writer; only once open. */
    ConnectionWriter writer() {
        ConnectionWriter w = writer;
        if (w == null) {
            throw new IllegalStateException("session " + id + " is not open");
        }
        return w;
    }

    /** The codec of this connection's pushes; only once open. */
    Codec codec() {
        Codec c = codec;
        if (c == null) {
            throw new IllegalStateException("session " + id + " is not open");
        }
        return c;
    }

    /** Puts a frame of this session's own (a reply) in the outbound queue; the session owns it now. */
    public void send(ByteBuf frame) {
        ConnectionWriter w = writer;
        if (w == null) {
            frame.release();
        } else {
            w.offer(frame);
        }
    }

    /** Whether the connection is open and not being closed. */
    public boolean isOpen() {
        Connection c = connection;
        return closing == 0 && released == 0 && c != null && !c.isDisposed();
    }

    /** Short label for logs: the protocol and what the session does. */
    public String describe() {
        return protocol.describe(this);
    }

    /**
     * Closes the session from the server side: stops deliveries (on the connection's event loop,
     * after what the channels already handed it), writes what the socket takes of the queue, sends
     * the close frame behind it and discards the rest; cuts the TCP connection if the client has
     * not completed the close within the configured close timeout.
     */
    public void close(DisconnectReason reason) {
        close(reason, false, config().closeTimeout());
    }

    /**
     * Closes for a server shutdown: no new messages (from when the connection's event loop takes
     * the close), everything already queued is written, then the close frame; the TCP connection
     * is cut after {@code grace} whatever happened.
     */
    public void closeAfterDrain(DisconnectReason reason, Duration grace) {
        close(reason, true, grace);
    }

    private void close(DisconnectReason reason, boolean drainFirst, Duration cutAfter) {
        Connection c = connection;
        WebsocketOutbound out = outbound;
        ConnectionWriter w = writer;
        if (c == null || out == null || w == null || !CLOSING.compareAndSet(this, 0, 1)) {
            return;
        }
        Runnable sendClose = () -> {
            w.close();
            out.sendClose(reason.code(), reason.reason())
                    .subscribe(null, e -> log.debug("session {}: close failed: {}", id, e.toString()));
        };
        // One look at the event loop: once the close frame is out the channel may close and be
        // deregistered at once, and a closed channel no longer answers eventLoop().
        EventLoop loop;
        try {
            loop = c.channel().eventLoop();
        } catch (IllegalStateException e) {
            release(); // already closed and deregistered: nothing to send
            return;
        }
        loop.execute(() -> {
            // Leaves the channels on the loop, after the fan-out tasks already queued there: what
            // the channels handed this loop before the close (a client's own messages of the
            // same inbound batch, say) reaches the writer first, as it did when channels wrote
            // into the writer from the publisher's thread.
            subscriptions.clear();
            if (drainFirst) {
                w.whenDrained(sendClose);
            } else {
                w.run();
                sendClose.run();
            }
        });
        loop.schedule(
                () -> {
                    if (!c.isDisposed()) {
                        log.debug(
                                "session {}: close not completed within {}, cutting the connection",
                                id,
                                Durations.format(cutAfter));
                        c.dispose();
                    }
                },
                cutAfter.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * The session is over (its inbound ended, or the connection closed): leave every channel at
     * once and drop what waits. Idempotent.
     */
    private void release() {
        if (RELEASED.compareAndSet(this, 0, 1)) {
            subscriptions.clear();
            occupancy.dispose();
            ConnectionWriter w = writer;
            if (w != null) {
                w.close();
            }
            ScheduledFuture<?> timer = expiry;
            if (timer != null) {
                timer.cancel(false);
            }
            log.debug("session {}: closed", id);
        }
    }

    /**
     * The TCP connection is closed: only now does the session stop counting as open, so that a
     * shutdown waiting for the last session knows every close frame has been written.
     */
    private void connectionClosed() {
        release();
        context.sessions().remove(this, ip);
    }
}
