package io.reactivehub.core.codec;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import java.nio.ByteBuffer;

/**
 * A read-only view of an encoded frame's off-heap memory with a reference count of its own. Every
 * delivery of a frame gets one: a single small object, no copy, and no counter shared with the
 * other deliveries (a shared counter is a cache line that every event loop writing the frame
 * would fight over). The memory belongs to the {@link ByteBuffer}, freed by the garbage collector
 * once no view refers to it; releasing a view never frees it.
 */
final class SharedFrame extends UnpooledUnsafeDirectByteBuf {
    final ByteBuffer memory;

    SharedFrame(ByteBuffer memory) {
        // slice = false: every view shares the ByteBuffer object; nothing here moves its position.
        super(UnpooledByteBufAllocator.DEFAULT, false, memory, memory.remaining());
        this.memory = memory;
    }
}
