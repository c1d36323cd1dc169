package io.reactivehub.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Right after the HTTP codec of a connection that has not upgraded: a new connection's first
 * request (headers and body) must arrive within the handshake timeout; between keep-alive requests
 * the connection may wait for the next request's headers up to the keep-alive timeout, and its
 * body then gets the handshake timeout. Past a deadline the connection is closed. The 101 response
 * ends the guard (the connection is a WebSocket now, with its own idle timeout) and the connection
 * leaves the pending count. Event loop only.
 */
final class RequestGuard extends ChannelDuplexHandler {
    static final String NAME = "hub.requestGuard";

    private final PendingConnections pending;
    private final @Nullable InetAddress ip;
    private final long requestNanos;
    private final long keepAliveNanos;
    private @Nullable ScheduledFuture<?> deadline;
    private boolean left;
    /** A request's body is still arriving. */
    private boolean reading;
    /** A request has not been answered in full yet. */
    private boolean answering;

    RequestGuard(PendingConnections pending, @Nullable InetAddress ip, Duration request, Duration keepAlive) {
        this.pending = pending;
        this.ip = ip;
        this.requestNanos = request.toNanos();
        this.keepAliveNanos = keepAlive.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx, requestNanos, false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            // Headers in; the body has the request deadline. The route may answer before the
            // body is in (a refusal): the deadline holds until both are done.
            reading = true;
            answering = true;
            arm(ctx, requestNanos, false);
        }
        if (msg instanceof LastHttpContent) {
            reading = false;
            if (answering) {
                disarm(); // the request is in: the route answers it
            } else {
                arm(ctx, keepAliveNanos, true);
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response
                && response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            disarm();
            leave();
            ctx.pipeline().remove(this);
        } else if (msg instanceof LastHttpContent) {
            answering = false;
            if (!reading) {
                arm(ctx, keepAliveNanos, true); // answered: wait for the next request
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        leave();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
        leave();
    }

    private void arm(ChannelHandlerContext ctx, long nanos, boolean idle) {
        disarm();
        deadline = ctx.executor()
                .schedule(
                        () -> {
                            pending.timedOut(idle);
                            ctx.channel().close();
                        },
                        nanos,
                        TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void leave() {
        if (!left) {
            left = true;
            pending.leave(ip);
        }
    }
}
