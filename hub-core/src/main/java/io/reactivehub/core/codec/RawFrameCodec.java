package io.reactivehub.core.codec;

import io.netty.buffer.ByteBuf;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;

/**
 * The raw protocol: the payload unchanged in one WebSocket frame, binary for
 * {@link PayloadType#BINARY}, text otherwise.
 */
public final class RawFrameCodec implements Codec {
    public static final RawFrameCodec INSTANCE = new RawFrameCodec();

    private RawFrameCodec() {}

    @Override
    public ByteBuf encode(Message message) {
        int opcode = message.type() == PayloadType.BINARY ? WireBuffers.OPCODE_BINARY : WireBuffers.OPCODE_TEXT;
        return WireBuffers.frame(opcode, message.payload());
    }
}
