package io.reactivehub.core.codec;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import java.nio.ByteBuffer;

/**
 * An encoded frame's off-heap memory, shared by every delivery of the frame. Nobody writes, moves,
 * retains or releases it: each delivery reads it through a {@link FrameView} of its own. The memory
 * belongs to the {@link ByteBuffer}, freed by the garbage collector once no frame or view refers to
 * it.
 */
final class SharedFrame extends UnpooledUnsafeDirectByteBuf {
    SharedFrame(ByteBuffer memory) {
        // slice = false: the frame is the only user of the ByteBuffer; nothing here moves its position.
        super(UnpooledByteBufAllocator.DEFAULT, false, memory, memory.remaining());
    }
}
