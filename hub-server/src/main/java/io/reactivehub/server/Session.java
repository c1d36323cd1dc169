package io.reactivehub.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.Message;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Hub;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.codec.WireBuffers;
import io.reactivehub.core.transport.Heartbeat;
import io.reactivehub.server.auth.Principal;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * One WebSocket connection, whatever its protocol: its subscriptions, and its single bounded
 * outbound queue of already-encoded frames ({@link ConnectionWriter}), drained by the
 * connection's event loop as the socket allows.
 * Inbound frames are handled on the connection's event loop, one at a time; deliveries arrive
 * from publishers' threads and only touch the thread-safe queue.
 */
abstract class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final AtomicLong IDS = new AtomicLong();
    /** Makes session ids unique across nodes (they name clients in presence). */
    private static final String NODE = Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);

    protected final Hub hub;
    protected final ServerConfig config;
    protected final String id = NODE + "-" + IDS.incrementAndGet();
    private final Map<ChannelName, Disposable> subscriptions = new ConcurrentHashMap<>();
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile @Nullable Connection connection;
    private volatile @Nullable WebsocketOutbound outbound;
    private volatile @Nullable ConnectionWriter writer;
    private final Set<Session> registry;
    protected final HubMetrics metrics;
    private final SessionContext context;
    private final String ip;
    private final @Nullable PublishBudget budget;

    private volatile @Nullable Principal principal;
    private final Codec plainCodec;
    private final Codec deflateCodec;
    /** How this connection's pushes are encoded: the shared compressing codec if it negotiated permessage-deflate. */
    private volatile @Nullable Codec codec;
    private @Nullable ScheduledFuture<?> expiry;

    /**
     * @param ip        the remote address, whose connection slot this session gives back when it ends
     * @param principal who the verified token says this is, or null when the hub runs open
     * @param plain     the codec for pushes
     * @param deflate   the server's one shared compressing form of {@code plain}
     */
    Session(SessionContext context, String ip, @Nullable Principal principal, Codec plain, Codec deflate) {
        this.plainCodec = plain;
        this.deflateCodec = deflate;
        this.principal = principal;
        this.context = context;
        this.hub = context.hub();
        this.config = context.config();
        this.registry = context.sessions();
        this.metrics = context.metrics();
        this.ip = ip;
        ConnectionLimits limits = config.limits();
        this.budget = limits.publishRate() > 0 ? new PublishBudget(limits.publishRate(), limits.publishBurst()) : null;
    }

    /**
     * Whether this connection may publish one more message now. When it may not, the refusal is
     * counted, and a connection that keeps publishing into the limit is closed with 1008.
     */
    protected final boolean mayPublish() {
        if (budget == null || budget.tryTake()) {
            return true;
        }
        metrics.rateLimited();
        if (budget.abusive() && !closing.get()) {
            log.info("session {} ({}): kept publishing over {} msg/s; closing with {}", id, describe(),
                    config.limits().publishRate(), CloseCodes.POLICY_VIOLATION);
            closeWith(CloseCodes.POLICY_VIOLATION, "publish rate limit exceeded");
        }
        return false;
    }

    /** Whether the token (if any) allows subscribing to {@code channel}. */
    protected final boolean maySubscribe(ChannelName channel) {
        Principal p = principal;
        return p == null || p.maySubscribe(channel);
    }

    /** Whether the token (if any) allows publishing to {@code channel}. */
    protected final boolean mayPublishTo(ChannelName channel) {
        Principal p = principal;
        return p == null || p.mayPublish(channel);
    }

    protected final @Nullable Principal principal() {
        return principal;
    }

    /** Replaces the token (hub protocol refresh): new permissions, new expiry. On the event loop. */
    protected final void refreshed(Principal next) {
        principal = next;
        Connection c = connection;
        if (c != null) {
            scheduleExpiry(c);
        }
    }

    /** Closes the connection with 4003 when its token expires (re-armed by each refresh). */
    private void scheduleExpiry(Connection c) {
        Principal p = principal;
        if (p == null) {
            return;
        }
        if (expiry != null) {
            expiry.cancel(false);
        }
        long delay = Math.max(0, p.expiresAt().toEpochMilli() - System.currentTimeMillis());
        expiry = c.channel().eventLoop().schedule(() -> {
            log.info("session {} ({}): token of '{}' expired; closing with {}", id, describe(), p.subject(),
                    CloseCodes.TOKEN_EXPIRED);
            closeWith(CloseCodes.TOKEN_EXPIRED, "token expired");
        }, delay, TimeUnit.MILLISECONDS);
    }

    protected final int maxSubscriptions() {
        return config.limits().maxSubscriptions();
    }

    /** The Reactor Netty WebSocket handler body for this session. */
    final Publisher<Void> handle(WebsocketInbound in, WebsocketOutbound out) {
        this.outbound = out;
        registry.add(this);
        context.acquireIp(ip);
        in.withConnection(c -> {
            connection = c;
            boolean negotiated = c.channel().pipeline().get(SharedDeflateHandshaker.PassThroughEncoder.class) != null;
            codec = negotiated ? deflateCodec : plainCodec;
            // Frames are encoded already: enter the pipeline below the WebSocket encoder.
            ChannelHandlerContext encoder = c.channel().pipeline().context("wsencoder");
            ConnectionWriter w = new ConnectionWriter(c.channel(), encoder != null ? encoder : c.channel(),
                    config.queueLimits(), this::slowConsumer, metrics::dropped);
            writer = w;
            FrameGuards.install(c, config.maxMessageSize(), metrics);
            c.addHandlerLast("hub.writability", new WritabilityListener(w));
            c.addHandlerLast("hub.heartbeat", new Heartbeat(config.pingInterval(), config.idleTimeout(), ctx -> {
                log.info("session {} ({}): silent for {}, closing with {}", id, describe(), config.idleTimeout(),
                        CloseCodes.IDLE_TIMEOUT);
                metrics.idleTimeout();
                // The peer is likely gone: send the close frame and cut the connection without waiting.
                FrameGuards.closeWith(ctx, CloseCodes.IDLE_TIMEOUT, "idle timeout");
            }));
            c.onDispose(this::connectionClosed);
            scheduleExpiry(c);
            log.debug("session {}: open from {} ({})", id, c.channel().remoteAddress(), describe());
        });
        opened();
        return in.receiveFrames()
                .doOnNext(this::onFrame)
                .onErrorResume(e -> {
                    log.debug("session {}: inbound ended: {}", id, e.toString());
                    return Mono.empty();
                })
                .then()
                .doFinally(signal -> release());
    }

    /** Called once before the first frame. */
    protected void opened() {
    }

    /** A complete, validated data frame (text or binary) or a pong; the frame is released after return. */
    protected abstract void onFrame(WebSocketFrame frame);

    /** Short label for logs: the protocol and channel. */
    protected abstract String describe();

    /** Puts a frame of this session's own (a reply) in the outbound queue; the session owns it now. */
    protected final void send(ByteBuf frame) {
        ConnectionWriter w = writer;
        if (w == null) {
            frame.release();
        } else {
            w.offer(frame);
        }
    }

    /** Subscribes this session's queue to a channel; false if already subscribed. */
    protected final boolean subscribe(ChannelName channel) {
        if (writer == null || codec == null || subscriptions.containsKey(channel)) {
            return false;
        }
        Disposable attached = hub.attach(channel, new Deliveries());
        if (subscriptions.putIfAbsent(channel, attached) != null) {
            attached.dispose();
            return false;
        }
        metrics.subscriptions.incrementAndGet();
        attached(channel);
        return true;
    }

    /** A subscription is in place: enter presence, or undo it if the connection closed meanwhile. */
    private void attached(ChannelName channel) {
        joined(channel);
        Connection c = connection;
        if (closing.get() || released.get() || c == null || c.isDisposed()) {
            // Closed while subscribing: undo, so nothing stays attached to a dead connection.
            unsubscribe(channel);
        }
    }

    /**
     * Subscribes through the hub's confirmed attach: the broker delivers the channel to this node
     * before the listener's {@code onSubscribed}, and with {@code recover} the missed messages come
     * first. Errors with {@link HubException} (already subscribed, broker unavailable).
     */
    protected final Mono<Void> subscribe(ChannelName channel, ChannelListener listener, @Nullable StreamPosition recover) {
        Disposable.Swap slot = Disposables.swap();
        if (subscriptions.putIfAbsent(channel, slot) != null) {
            return Mono.error(new HubException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel));
        }
        metrics.subscriptions.incrementAndGet();
        return hub.attach(channel, listener, recover)
                .doOnNext(attached -> {
                    // False (and disposed) if unsubscribed or closed while attaching.
                    if (slot.replace(attached)) {
                        attached(channel);
                    }
                })
                .doOnError(e -> {
                    if (subscriptions.remove(channel, slot)) {
                        metrics.subscriptions.decrementAndGet();
                    }
                })
                .then();
    }

    /** Who this connection is in presence: its id and its token's subject. */
    protected final ClientInfo clientInfo() {
        Principal p = principal;
        return new ClientInfo(id, p == null ? null : p.subject());
    }

    private void joined(ChannelName channel) {
        hub.join(channel, clientInfo()).subscribe(null,
                // The broker logs its own unavailability once; per session this is detail.
                e -> log.debug("session {}: presence in {} not recorded: {}", id, channel, e.getMessage()));
    }

    /** The listener that puts a channel's messages, encoded once, into this connection's queue. */
    protected class Deliveries implements ChannelListener {
        private final ConnectionWriter writer;
        private final Codec codec;

        protected Deliveries() {
            ConnectionWriter w = Session.this.writer;
            Codec c = Session.this.codec;
            if (w == null || c == null) {
                throw new IllegalStateException("session " + id + " is not open");
            }
            this.writer = w;
            this.codec = c;
        }

        @Override
        public void onMessage(Message message) {
            writer.offer(WireBuffers.share(message.encoded(codec)));
        }
    }

    protected final boolean isSubscribed(ChannelName channel) {
        return subscriptions.containsKey(channel);
    }

    /** Leaves a channel; false if not subscribed. */
    protected final boolean unsubscribe(ChannelName channel) {
        Disposable attached = subscriptions.remove(channel);
        if (attached == null) {
            return false;
        }
        attached.dispose();
        metrics.subscriptions.decrementAndGet();
        hub.leave(channel, clientInfo()).subscribe(null,
                e -> log.debug("session {}: presence in {} not removed: {}", id, channel, e.getMessage()));
        return true;
    }

    protected final int subscriptionCount() {
        return subscriptions.size();
    }

    /** On the event loop, once: the writer overflowed under the disconnect policy (backlog already discarded). */
    private void slowConsumer() {
        QueueLimits limits = config.queueLimits();
        log.info("session {} ({}): slow consumer, more than {} messages or {} bytes waiting; closing with {}",
                id, describe(), limits.maxMessages(), limits.maxBytes(), CloseCodes.SLOW_CONSUMER);
        metrics.slowConsumer();
        closeWith(CloseCodes.SLOW_CONSUMER, "slow consumer");
    }

    /**
     * Closes the session from the server side: stops deliveries now, writes what the socket takes
     * of the queue, sends the close frame behind it and discards the rest; cuts the TCP connection
     * if the client has not completed the close within the configured close timeout.
     */
    protected final void closeWith(int code, String reason) {
        close(code, reason, false, config.closeTimeout());
    }

    private void detachAll() {
        subscriptions.keySet().forEach(this::unsubscribe);
    }

    /**
     * The session is over (its inbound ended, or the connection closed): leave every channel at
     * once and drop what waits. Idempotent.
     */
    private void release() {
        if (released.compareAndSet(false, true)) {
            detachAll();
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
        if (registry.remove(this)) {
            context.releaseIp(ip);
            synchronized (registry) {
                registry.notifyAll(); // a shutdown may be waiting for the last session
            }
        }
    }

    /**
     * Closes for a server shutdown: no new messages, everything already queued is written, then
     * the close frame; the TCP connection is cut after {@code grace} whatever happened.
     */
    final void closeAfterDrain(int code, String reason, Duration grace) {
        close(code, reason, true, grace);
    }

    private void close(int code, String reason, boolean drainFirst, Duration cutAfter) {
        Connection c = connection;
        WebsocketOutbound out = outbound;
        ConnectionWriter w = writer;
        if (c == null || out == null || w == null || !closing.compareAndSet(false, true)) {
            return;
        }
        detachAll();
        Runnable sendClose = () -> {
            w.close();
            out.sendClose(code, reason).subscribe(null, e -> log.debug("session {}: close failed: {}", id, e.toString()));
        };
        // One look at the event loop: once the close frame is out the channel may close and be
        // deregistered at once, and a closed channel no longer answers eventLoop().
        io.netty.channel.EventLoop loop;
        try {
            loop = c.channel().eventLoop();
        } catch (IllegalStateException e) {
            release(); // already closed and deregistered: nothing to send
            return;
        }
        loop.execute(() -> {
            if (drainFirst) {
                w.whenDrained(sendClose);
            } else {
                w.run();
                sendClose.run();
            }
        });
        loop.schedule(() -> {
            if (!c.isDisposed()) {
                log.debug("session {}: close not completed within {}, cutting the connection", id, cutAfter);
                c.dispose();
            }
        }, cutAfter.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Resumes the writer when the socket drains below Netty's low-water mark. */
    private static final class WritabilityListener extends ChannelInboundHandlerAdapter {
        private final ConnectionWriter writer;

        WritabilityListener(ConnectionWriter writer) {
            this.writer = writer;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                writer.schedule();
            }
            ctx.fireChannelWritabilityChanged();
        }
    }
}
