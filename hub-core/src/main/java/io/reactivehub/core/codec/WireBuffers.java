package io.reactivehub.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;

/**
 * Builds server-to-client WebSocket frames (RFC 6455 section 5.2: FIN set, no mask) as
 * shareable, off-heap buffers. Off-heap so that N writes of one frame are N gathering writes of
 * the same memory, with no copy to a direct buffer per connection; garbage-collected so that a
 * frame shared by any number of queues needs no reference counting by its owner.
 */
public final class WireBuffers {
    public static final int OPCODE_TEXT = 0x1;
    public static final int OPCODE_BINARY = 0x2;

    private WireBuffers() {}

    /** Frame header length for a payload of {@code length} bytes. */
    public static int headerLength(long length) {
        return length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    }

    /** Starts a frame: allocates header plus payload and writes the header. */
    public static ByteBuffer startFrame(int opcode, int payloadLength) {
        ByteBuffer out = ByteBuffer.allocateDirect(headerLength(payloadLength) + payloadLength);
        out.put((byte) (0x80 | opcode));
        if (payloadLength < 126) {
            out.put((byte) payloadLength);
        } else if (payloadLength <= 0xFFFF) {
            out.put((byte) 126);
            out.putShort((short) payloadLength);
        } else {
            out.put((byte) 127);
            out.putLong(payloadLength);
        }
        return out;
    }

    /** Wraps a completely written frame; the result is read-only by convention and never freed explicitly. */
    public static ByteBuf finish(ByteBuffer frame) {
        frame.flip();
        return PlatformDependent.hasUnsafe() ? new SharedFrame(frame) : Unpooled.wrappedBuffer(frame);
    }

    /**
     * A buffer of its own over the same memory as {@code frame}, for one connection to write and
     * release: its own reader index and reference count, nothing shared with the frame's other
     * deliveries (unlike {@code retainedDuplicate()}, whose one counter every event loop writing the
     * frame would contend on). One 40-byte read-only object; releasing it never frees the frame.
     */
    public static ByteBuf share(ByteBuf frame) {
        return FrameView.of(frame);
    }

    /** One complete unmasked frame holding {@code payload}. */
    public static ByteBuf frame(int opcode, byte[] payload) {
        ByteBuffer out = startFrame(opcode, payload.length);
        out.put(payload);
        return finish(out);
    }
}
