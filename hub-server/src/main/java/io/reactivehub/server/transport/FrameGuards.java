package io.reactivehub.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import io.reactivehub.server.CloseCodes;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import reactor.netty.Connection;

/**
 * The inbound checks Reactor Netty leaves out, added after the handshake between Netty's frame
 * decoder and the reactive bridge. The decoder (swapped for a {@link HubFrameDecoder}) already
 * closes with 1002 on bad opcodes, unmasked or oversized control frames, a one-byte close body and
 * bad fragmentation, and with 1009 on a single frame over the size limit; the wire rules, before
 * any extension decoder, close with 1002 on misplaced reserved bits and bad close codes, and with
 * 1007 on a close reason that is not UTF-8. Every violation is answered with a close frame, then
 * the TCP connection is closed ({@link #closeWith}: one event-loop task later, so that what the
 * connection's own earlier messages fanned out on this loop is written first), and whatever the
 * peer sent after it is dropped. After these guards, the session sees only whole, UTF-8-valid
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
        ChannelPipeline pipeline = connection.channel().pipeline();
        // Right after the handshake, before the first read: Netty's decoder has seen no bytes yet.
        if (pipeline.get(PipelineNames.WEBSOCKET_DECODER) instanceof WebSocket13FrameDecoder) {
            pipeline.replace(
                    PipelineNames.WEBSOCKET_DECODER,
                    PipelineNames.WEBSOCKET_DECODER,
                    new HubFrameDecoder(maxMessageSize));
            // After both the decoder and the (outbound) encoder, so that its close frame gets encoded.
            List<String> names = pipeline.names();
            boolean encoderLast =
                    names.indexOf(PipelineNames.WEBSOCKET_ENCODER) > names.indexOf(PipelineNames.WEBSOCKET_DECODER);
            pipeline.addAfter(
                    encoderLast ? PipelineNames.WEBSOCKET_ENCODER : PipelineNames.WEBSOCKET_DECODER,
                    PipelineNames.WIRE_RULES,
                    new WireRules(SharedDeflateHandshaker.isNegotiated(connection.channel())));
        }
        connection
                .addHandlerLast(PipelineNames.RESERVED_BITS_GUARD, new ReservedBitsGuard(oversized))
                .addHandlerLast(PipelineNames.UTF8_GUARD, new Utf8Guard())
                .addHandlerLast(PipelineNames.AGGREGATOR, new BoundedAggregator(maxMessageSize, oversized));
    }

    /**
     * Writes a close frame, then closes the TCP connection once it is sent; on the event loop, as a
     * task of its own. A violation is often read together with the valid messages before it (one
     * TCP segment): each of those was published already, and its fan-out to this loop's
     * connections, the sender's own echo included, is a task queued on this loop. Queued behind
     * them, the close frame follows those messages instead of cutting them off. (Messages that
     * reach the loop later, from another node or an asynchronous publish hook, are not waited for.)
     */
    public static void closeWith(ChannelHandlerContext ctx, int code, String reason) {
        ctx.channel().eventLoop().execute(() -> {
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    /** {@link #closeWith} for a violation Netty's decoder or UTF-8 validator reported. */
    private static void closeWith(ChannelHandlerContext ctx, CorruptedWebSocketFrameException violation) {
        String reason = violation.getMessage();
        closeWith(
                ctx,
                violation.closeStatus().code(),
                reason != null ? reason : violation.closeStatus().reasonText());
    }

    /**
     * What must be checked before any extension decoder touches a frame (the inflater clears RSV1
     * from a compressed message's continuations): RSV2 and RSV3, which no extension here uses; RSV1
     * on a control frame, a continuation (RFC 7692 section 6.1) or, without permessage-deflate, on
     * any frame: 1002. A close frame's body: one byte, or a code that may not be sent (RFC 6455
     * section 7.4), 1002; a reason that is not UTF-8, 1007. Also answers the violations the decoder
     * before it reports (it writes no close frame of its own, see {@link HubFrameDecoder}). After
     * answering it drops whatever follows.
     */
    static final class WireRules extends ChannelInboundHandlerAdapter {
        private static final int RSV1 = 0x4;
        private final boolean deflate;
        private boolean failed;

        /** @param deflate whether permessage-deflate was negotiated (RSV1 marks compressed messages) */
        WireRules(boolean deflate) {
            this.deflate = deflate;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (failed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof WebSocketFrame frame) {
                int code = violation(frame);
                if (code != 0) {
                    failed = true;
                    ReferenceCountUtil.release(msg);
                    closeWith(
                            ctx,
                            code,
                            code == CloseCodes.INVALID_PAYLOAD
                                    ? "close reason is not valid UTF-8"
                                    : "invalid frame: reserved bits or close frame body");
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof CorruptedWebSocketFrameException violation) {
                // The decoder's: it dropped the rest of the input already. Not passed on, so the
                // session ends when the connection closes, after the close frame, not before.
                if (!failed) {
                    failed = true;
                    closeWith(ctx, violation);
                }
                return;
            }
            ctx.fireExceptionCaught(cause);
        }

        /** The close code the frame earns, or 0 when it may pass. */
        private int violation(WebSocketFrame frame) {
            int rsv = frame.rsv();
            boolean control = frame instanceof CloseWebSocketFrame
                    || frame instanceof PingWebSocketFrame
                    || frame instanceof PongWebSocketFrame;
            if ((rsv & ~RSV1) != 0
                    || (rsv != 0 && (control || frame instanceof ContinuationWebSocketFrame || !deflate))) {
                return CloseCodes.PROTOCOL_ERROR;
            }
            return frame instanceof CloseWebSocketFrame ? closeBodyViolation(frame.content()) : 0;
        }

        private static int closeBodyViolation(ByteBuf body) {
            int length = body.readableBytes();
            if (length == 0) {
                return 0;
            }
            if (length == 1 || !isValidCloseCode(body.getUnsignedShort(body.readerIndex()))) {
                return CloseCodes.PROTOCOL_ERROR;
            }
            return isUtf8(body.nioBuffer(body.readerIndex() + 2, length - 2)) ? 0 : CloseCodes.INVALID_PAYLOAD;
        }

        /**
         * Codes a peer may send (RFC 6455 section 7.4 and the IANA registry): 1000-1003, 1007-1014,
         * 3000-4999. Never 1004-1006 or 1015, nor anything unassigned.
         */
        static boolean isValidCloseCode(int code) {
            return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        }

        private static boolean isUtf8(ByteBuffer bytes) {
            try {
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(bytes);
                return true;
            } catch (CharacterCodingException e) {
                return false;
            }
        }
    }

    /**
     * Frames reach this guard after any extension decoder, which clears the bits it owns: a frame
     * still carrying RSV1-3 uses an extension nobody negotiated: 1002. Also where a failed
     * inflation arrives: over the size cap (a deflate bomb) 1009, corrupt data 1007.
     */
    static final class ReservedBitsGuard extends ChannelInboundHandlerAdapter {
        private final Runnable oversized;
        private boolean failed;

        ReservedBitsGuard(Runnable oversized) {
            this.oversized = oversized;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof CodecException && !(cause instanceof CorruptedWebSocketFrameException)) {
                String message = String.valueOf(cause.getMessage());
                // Netty's inflater: "Decompression buffer has reached maximum size: N".
                boolean tooBig = message.contains("maximum size");
                if (failed) {
                    return;
                }
                failed = true;
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
            if (failed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof WebSocketFrame frame && frame.rsv() != 0) {
                failed = true;
                ReferenceCountUtil.release(msg);
                closeWith(ctx, CloseCodes.PROTOCOL_ERROR, "reserved bits set without a negotiated extension");
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Netty's UTF-8 check of text messages across fragments (1007), answering through
     * {@link #closeWith} instead of writing its close frame at once, and dropping what follows.
     */
    static final class Utf8Guard extends Utf8FrameValidator {
        private boolean failed;

        Utf8Guard() {
            super(false);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (failed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                super.channelRead(ctx, msg);
            } catch (CorruptedWebSocketFrameException violation) {
                // The validator released the frame. Not passed on: the session ends when the
                // connection closes, after the close frame.
                failed = true;
                closeWith(ctx, violation);
            }
        }
    }

    /** Reassembles fragmented messages; a message over the limit closes with 1009. */
    static final class BoundedAggregator extends WebSocketFrameAggregator {
        private final Runnable oversized;
        private boolean failed;

        BoundedAggregator(int maxContentLength, Runnable oversized) {
            super(maxContentLength);
            this.oversized = oversized;
        }

        /**
         * Netty's aggregator checks the size only when a continuation arrives: a message in one
         * frame passes unchecked, and a first fragment over the limit waits for the next one. The
         * decoder bounds raw frames, so only an inflated one (permessage-deflate) is over it here.
         */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (failed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof WebSocketFrame frame
                    && (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame)
                    && frame.content().readableBytes() > maxContentLength()) {
                failed = true;
                ReferenceCountUtil.release(msg);
                oversized.run();
                closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG, "inflated message larger than the maximum message size");
                return;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, WebSocketFrame oversizedFrame) {
            // MessageAggregator releases the frame after this returns.
            failed = true;
            oversized.run();
            closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG, "message larger than the maximum message size");
        }

        /**
         * A peer that closes in the middle of a fragmented message (a close frame after a non-final
         * fragment, or a dropped connection) is nothing the hub did wrong: the partial message is
         * released quietly instead of MessageAggregator's PrematureChannelClosureException, which
         * Reactor Netty would log at ERROR with its stack trace.
         */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            releaseCurrentMessage();
            super.channelInactive(ctx);
        }
    }
}
