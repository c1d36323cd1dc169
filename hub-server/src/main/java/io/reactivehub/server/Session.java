package io.reactivehub.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Codec;
import io.reactivehub.core.DeliveryQueue;
import io.reactivehub.core.Hub;
import io.reactivehub.core.SlowConsumerException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * One WebSocket connection, whatever its protocol: its subscriptions, and its single bounded
 * outbound queue of already-encoded frames that Reactor Netty drains as the socket allows.
 * Inbound frames are handled on the connection's event loop, one at a time; deliveries arrive
 * from publishers' threads and only touch the thread-safe queue.
 */
abstract class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final AtomicLong IDS = new AtomicLong();

    protected final Hub hub;
    protected final ServerConfig config;
    protected final String id = "s" + IDS.incrementAndGet();
    protected final DeliveryQueue<ByteBuf> queue;
    private final Map<ChannelName, Disposable> subscriptions = new ConcurrentHashMap<>();
    private volatile @Nullable Connection connection;
    private volatile @Nullable WebsocketOutbound outbound;
    private volatile @Nullable CloseReason pendingClose;
    private final AtomicBoolean released = new AtomicBoolean();

    Session(Hub hub, ServerConfig config) {
        this.hub = hub;
        this.config = config;
        this.queue = new DeliveryQueue<>(config.queueLimits(), ByteBuf::readableBytes, ReferenceCountUtil::release);
    }

    /** The Reactor Netty WebSocket handler body for this session. */
    final Publisher<Void> handle(WebsocketInbound in, WebsocketOutbound out) {
        this.outbound = out;
        in.withConnection(c -> {
            connection = c;
            FrameGuards.install(c, config.maxMessageSize());
            c.onDispose(this::release);
            log.debug("session {}: open from {} ({})", id, c.channel().remoteAddress(), describe());
        });
        opened();
        Mono<Void> receiving = in.receiveFrames()
                .doOnNext(this::onFrame)
                .onErrorResume(e -> {
                    log.debug("session {}: inbound ended: {}", id, e.toString());
                    return Mono.empty();
                })
                .then();
        Mono<Void> sending = out.sendObject(queue.onErrorResume(SlowConsumerException.class, e -> {
                    slowConsumer(e);
                    return Mono.empty();
                }))
                .then()
                .then(Mono.defer(this::sendPendingClose))
                .onErrorResume(e -> {
                    log.debug("session {}: outbound ended: {}", id, e.toString());
                    return Mono.empty();
                });
        return Mono.when(receiving, sending).doFinally(signal -> release());
    }

    /** Called once before the first frame. */
    protected void opened() {
    }

    /** A complete, validated data frame (text or binary) or a pong; the frame is released after return. */
    protected abstract void onFrame(WebSocketFrame frame);

    /** Short label for logs: the protocol and channel. */
    protected abstract String describe();

    /** Puts a frame of this session's own (a reply) in the outbound queue. */
    protected final void send(ByteBuf frame) {
        queue.offer(frame);
    }

    /** Subscribes this session's queue to a channel, encoding with {@code codec}; false if already subscribed. */
    protected final boolean subscribe(ChannelName channel, Codec codec) {
        if (subscriptions.containsKey(channel)) {
            return false;
        }
        Disposable attached = hub.attach(channel, message -> queue.offer(message.encoded(codec).retainedDuplicate()));
        Disposable previous = subscriptions.putIfAbsent(channel, attached);
        if (previous != null) {
            attached.dispose();
            return false;
        }
        if (pendingClose != null || connection == null || connection.isDisposed()) {
            // Closed while subscribing: undo, so nothing stays attached to a dead connection.
            unsubscribe(channel);
        }
        return true;
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
        return true;
    }

    protected final int subscriptionCount() {
        return subscriptions.size();
    }

    private void slowConsumer(Throwable cause) {
        log.info("session {} ({}): {}; closing with {}", id, describe(), cause.getMessage(), CloseCodes.SLOW_CONSUMER);
        closeWith(CloseCodes.SLOW_CONSUMER, "slow consumer");
    }

    /**
     * Closes the session from the server side: stops deliveries now, lets what is already queued
     * drain, then sends the close frame; cuts the TCP connection if that takes longer than the
     * configured close timeout.
     */
    protected final void closeWith(int code, String reason) {
        if (pendingClose != null) {
            return;
        }
        pendingClose = new CloseReason(code, reason);
        detachAll();
        queue.complete();
        Connection c = connection;
        if (c != null) {
            c.channel().eventLoop().schedule(() -> {
                if (!c.isDisposed()) {
                    log.debug("session {}: close frame not delivered within {}, cutting the connection", id,
                            config.closeTimeout());
                    c.dispose();
                }
            }, config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private Mono<Void> sendPendingClose() {
        CloseReason close = pendingClose;
        WebsocketOutbound out = outbound;
        if (close == null || out == null) {
            return Mono.empty();
        }
        return out.sendClose(close.code(), close.reason());
    }

    private void detachAll() {
        subscriptions.keySet().forEach(this::unsubscribe);
    }

    /** Connection gone (clean close, abrupt drop or server close): leave every channel at once. */
    private void release() {
        if (released.compareAndSet(false, true)) {
            detachAll();
            queue.cancel();
            log.debug("session {}: closed", id);
        }
    }

    private record CloseReason(int code, String reason) {
    }
}
