package io.reactivehub.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * One generator connection: subscriber or publisher (a publisher is a channel member too, and its
 * own messages coming back clock its sends in max-rate mode). Runs on one event loop; no locks.
 */
final class BenchConnection extends SimpleChannelInboundHandler<Object> {
    private final LoadRun run;
    private final boolean publisher;
    private final int index;
    private final WebSocketClientHandshaker handshaker;
    final CompletableFuture<BenchConnection> ready = new CompletableFuture<>();
    private final int[] nextSeq;
    private Channel channel;
    // publisher state
    private int seq;
    private int inFlight;
    private boolean needFlush;
    volatile boolean received;

    BenchConnection(LoadRun run, URI url, boolean publisher, int index, int publishers, int maxFrame) {
        this.run = run;
        this.publisher = publisher;
        this.index = index;
        this.handshaker = WebSocketClientHandshakerFactory.newHandshaker(url, WebSocketVersion.V13, null, false,
                new DefaultHttpHeaders(), maxFrame);
        this.nextSeq = new int[publishers];
        Arrays.fill(nextSeq, -1);
    }

    Channel channel() {
        return channel;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        handshaker.handshake(channel);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!ready.isDone()) {
            ready.completeExceptionally(new IllegalStateException("closed during handshake"));
        } else if (run.running()) {
            run.connectionLost();
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (!handshaker.isHandshakeComplete()) {
            try {
                handshaker.finishHandshake(channel, (FullHttpResponse) msg);
                ready.complete(this);
            } catch (RuntimeException e) {
                ready.completeExceptionally(e);
                ctx.close();
            }
            return;
        }
        if (msg instanceof BinaryWebSocketFrame frame) {
            onData(frame.content());
        } else if (msg instanceof io.netty.handler.codec.http.websocketx.TextWebSocketFrame frame) {
            onData(frame.content());
        } else if (msg instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
        } else if (msg instanceof CloseWebSocketFrame close) {
            run.closedByServer(close.statusCode());
            ctx.close();
        } else if (msg instanceof WebSocketFrame) {
            // pong or continuation: nothing to measure
        }
    }

    private void onData(ByteBuf content) {
        if (content.readableBytes() < Payload.HEADER) {
            return;
        }
        received = true;
        long sentAt = Payload.sentNanos(content);
        int pub = Payload.publisher(content);
        int s = Payload.seq(content);
        if (pub < 0 || pub >= nextSeq.length) {
            return;
        }
        int expected = nextSeq[pub];
        if (expected >= 0 && s != expected) {
            if (s > expected) {
                run.gap(s - expected);
            } else {
                run.reordered();
            }
        }
        if (s >= expected) {
            nextSeq[pub] = s + 1;
        }
        if (publisher) {
            if (pub == index) {
                inFlight--;
                if (run.maxRate() && run.sending()) {
                    sendOne(run.nowNanos());
                }
            }
        } else {
            run.delivered(sentAt);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (needFlush) {
            needFlush = false;
            ctx.flush();
        }
    }

    /** Max-rate mode: fill the window; echoes keep it full. Call on the event loop. */
    void startWindow(int window) {
        while (inFlight < window) {
            sendOne(run.nowNanos());
        }
        flush();
    }

    /** Sends one message stamped with {@code stampNanos} (the intended time in fixed-rate mode). */
    void sendOne(long stampNanos) {
        ByteBuf buf = channel.alloc().buffer(run.size());
        Payload.write(buf, stampNanos, index, seq++, run.size());
        channel.write(new BinaryWebSocketFrame(buf));
        inFlight++;
        needFlush = true;
        run.sent(stampNanos);
    }

    int sentCount() {
        return seq;
    }

    void flush() {
        if (needFlush) {
            needFlush = false;
            channel.flush();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ready.isDone()) {
            ready.completeExceptionally(cause);
        }
        ctx.close();
    }
}
