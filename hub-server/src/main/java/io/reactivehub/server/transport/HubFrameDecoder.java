package io.reactivehub.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;

/**
 * Netty's RFC 6455 frame decoder, except that a close frame's body goes on unchecked, to
 * {@link FrameGuards}' wire rules. Netty's own check runs after it has marked the closing handshake
 * as received, so on a bad close code or reason it drops the TCP connection without a close frame;
 * the guard answers with 1002 or 1007 and then closes. Everything else (masking, opcodes, lengths,
 * fragmentation, a one-byte close body) is still checked here; a violation stops the decoding and
 * is thrown to the wire rules after it, which answer it with a close frame (one event-loop task
 * later, behind the fan-out of the messages decoded before it: see {@link FrameGuards#closeWith}).
 */
final class HubFrameDecoder extends WebSocket13FrameDecoder {
    HubFrameDecoder(int maxFramePayloadLength) {
        // As Reactor Netty's handshaker configures it (masked client frames, extensions: RSV bits
        // are the guards' business, the size limit), except the close frame on a violation,
        // which Netty would write at once.
        super(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(true)
                .maxFramePayloadLength(maxFramePayloadLength)
                .closeOnProtocolViolation(false)
                .build());
    }

    @Override
    protected void checkCloseFrameBody(ChannelHandlerContext ctx, ByteBuf buffer) {
        // Checked by FrameGuards.WireRules, which answers with a close frame.
    }
}
