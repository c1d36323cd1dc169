package io.reactivehub.server.transport;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import io.reactivehub.server.CloseCodes;
import reactor.netty.Connection;

/**
 * The inbound checks Reactor Netty leaves out, added after the handshake between Netty's frame
 * decoder and the reactive bridge. The decoder already closes with 1002 on bad opcodes, unmasked
 * or oversized control frames, bad close codes and bad fragmentation, and with 1009 on a single
 * frame over the size limit. After these guards, the session sees only whole, UTF-8-valid
 * messages within the size limit, carrying no reserved bits.
 */
public final class FrameGuards {
    private FrameGuards() {}

    /**
     * Adds the guards to a connection's pipeline.
     *
     * @param oversized called for every message closed with 1009 because it was too big
     */
    public static void install(Connection connection, int maxMessageSize, Runnable oversized) {
        connection
                .addHandlerLast(PipelineNames.RESERVED_BITS_GUARD, new ReservedBitsGuard(oversized))
                .addHandlerLast(PipelineNames.UTF8_GUARD, new Utf8FrameValidator(true))
                .addHandlerLast(PipelineNames.AGGREGATOR, new BoundedAggregator(maxMessageSize, oversized));
    }

    /** Writes a close frame, then closes the TCP connection once it is sent. */
    public static void closeWith(ChannelHandlerContext ctx, int code, String reason) {
        ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Frames reach this guard after any extension decoder, which clears the bits it owns: a frame
     * still carrying RSV1-3 uses an extension nobody negotiated: 1002. Also where a failed
     * inflation arrives: over the size cap (a deflate bomb) 1009, corrupt data 1007.
     */
    static final class ReservedBitsGuard extends ChannelInboundHandlerAdapter {
        private final Runnable oversized;

        ReservedBitsGuard(Runnable oversized) {
            this.oversized = oversized;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof CodecException && !(cause instanceof CorruptedWebSocketFrameException)) {
                String message = String.valueOf(cause.getMessage());
                // Netty's inflater: "Decompression buffer has reached maximum size: N".
                boolean tooBig = message.contains("maximum size");
                if (tooBig) {
                    oversized.run();
                }
                closeWith(
                        ctx,
                        tooBig ? CloseCodes.MESSAGE_TOO_BIG : CloseCodes.INVALID_PAYLOAD,
                        tooBig ? "inflated message larger than the maximum message size" : "cannot inflate message");
                return;
            }
            ctx.fireExceptionCaught(cause);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof WebSocketFrame frame && frame.rsv() != 0) {
                ReferenceCountUtil.release(msg);
                closeWith(ctx, CloseCodes.PROTOCOL_ERROR, "reserved bits set without a negotiated extension");
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Reassembles fragmented messages; a message over the limit closes with 1009. */
    static final class BoundedAggregator extends WebSocketFrameAggregator {
        private final Runnable oversized;

        BoundedAggregator(int maxContentLength, Runnable oversized) {
            super(maxContentLength);
            this.oversized = oversized;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, WebSocketFrame oversizedFrame) {
            // MessageAggregator releases the frame after this returns.
            oversized.run();
            closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG, "message larger than the maximum message size");
        }
    }
}
