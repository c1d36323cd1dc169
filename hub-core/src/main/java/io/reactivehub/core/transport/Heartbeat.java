package io.reactivehub.core.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Liveness for one WebSocket connection, on its event loop. Every {@code interval} it looks at
 * how long the peer has sent nothing (no frame at all, pongs included): past {@code interval} it
 * sends a ping, past {@code timeout} it gives up and calls {@code onTimeout}. A peer that vanished
 * without a FIN is therefore detected within {@code timeout + interval}. Sits after the WebSocket
 * decoder, so every frame that reaches it counts as a sign of life (on the server it follows the
 * aggregator: a fragmented message counts once, when complete).
 */
public final class Heartbeat extends ChannelInboundHandlerAdapter {
    private final long intervalNanos;
    private final long timeoutNanos;
    private final Consumer<ChannelHandlerContext> onTimeout;
    private volatile long lastRead = System.nanoTime();
    private ScheduledFuture<?> task;
    private boolean timedOut;

    /**
     * @param interval  how often to check and, when the peer was silent that long, ping
     * @param timeout   silence after which the connection is given up (longer than {@code interval})
     * @param onTimeout what giving up does (close with a code); called once, on the event loop
     */
    public Heartbeat(Duration interval, Duration timeout, Consumer<ChannelHandlerContext> onTimeout) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        if (timeout.compareTo(interval) <= 0) {
            throw new IllegalArgumentException(
                    "timeout (" + timeout + ") must be longer than the interval (" + interval + ")");
        }
        this.intervalNanos = interval.toNanos();
        this.timeoutNanos = timeout.toNanos();
        this.onTimeout = Objects.requireNonNull(onTimeout, "onTimeout");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastRead = System.nanoTime();
        task = ctx.executor().scheduleAtFixedRate(() -> check(ctx), intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastRead = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    private void check(ChannelHandlerContext ctx) {
        if (timedOut || !ctx.channel().isActive()) {
            cancel();
            return;
        }
        long silent = System.nanoTime() - lastRead;
        if (silent >= timeoutNanos) {
            timedOut = true;
            cancel();
            onTimeout.accept(ctx);
        } else if (silent >= intervalNanos) {
            ctx.writeAndFlush(new PingWebSocketFrame());
        }
    }

    private void cancel() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
