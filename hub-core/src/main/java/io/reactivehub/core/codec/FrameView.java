package io.reactivehub.core.codec;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;

/**
 * One delivery's read-only view of an encoded frame: its own reader index (a partial socket write,
 * or TLS, moves it) and its own reference count, over the frame's memory, which it only reads. No
 * reference count is shared with the frame's other deliveries (a shared counter is a cache line
 * that every event loop writing the frame would fight over).
 *
 * <p>One small object per delivery (40 bytes): the count is a field of its own, not the separate
 * counter object Netty's reference-counted buffers carry, and nothing is cached. Not pooled:
 * measured end to end, views taken from Netty's {@code Recycler} allocated nothing but cost the
 * server half as much CPU again per delivery as allocating them (hub-bench/RESULTS.md, "Allocation
 * per delivery").
 *
 * <p>A view keeps its frame reachable until it is released, then forgets it. At Netty's
 * {@code PARANOID} leak detection level (the tests') every view is tracked, and one dropped without
 * {@code release()} is reported; below it none is (sampling records a stack trace per sample, too
 * dear at millions of deliveries a second, for a view whose memory the garbage collector frees).
 */
class FrameView extends AbstractByteBuf {
    private static final AtomicIntegerFieldUpdater<FrameView> REF_CNT =
            AtomicIntegerFieldUpdater.newUpdater(FrameView.class, "refCnt");
    private static final ResourceLeakDetector<FrameView> LEAKS =
            ResourceLeakDetectorFactory.instance().newResourceLeakDetector(FrameView.class);
    private static final boolean TRACKED = ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.PARANOID;

    private @Nullable ByteBuf frame;
    private volatile int refCnt;

    private FrameView(ByteBuf frame) {
        super(frame.capacity());
        this.frame = frame;
        REF_CNT.lazySet(this, 1);
    }

    /**
     * A view of {@code frame}'s readable bytes, at the same indexes (as {@code duplicate()}); the
     * frame is never written, retained or released through it.
     */
    static FrameView of(ByteBuf frame) {
        FrameView view = TRACKED ? new Tracked(frame) : new FrameView(frame);
        view.setIndex(frame.readerIndex(), frame.writerIndex());
        view.markReaderIndex();
        view.markWriterIndex();
        return view;
    }

    // ---- reference counting: this view's own

    @Override
    public int refCnt() {
        return refCnt;
    }

    @Override
    public ByteBuf retain() {
        return retain(1);
    }

    @Override
    public ByteBuf retain(int increment) {
        if (increment <= 0) {
            throw new IllegalArgumentException("increment: " + increment + " (expected: > 0)");
        }
        for (; ; ) {
            int count = refCnt;
            int next = count + increment;
            if (count == 0 || next <= count) {
                throw new IllegalReferenceCountException(count, increment);
            }
            if (REF_CNT.compareAndSet(this, count, next)) {
                return this;
            }
        }
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        if (decrement <= 0) {
            throw new IllegalArgumentException("decrement: " + decrement + " (expected: > 0)");
        }
        for (; ; ) {
            int count = refCnt;
            if (count < decrement) {
                throw new IllegalReferenceCountException(count, -decrement);
            }
            if (REF_CNT.compareAndSet(this, count, count - decrement)) {
                if (count == decrement) {
                    frame = null;
                    released();
                    return true;
                }
                return false;
            }
        }
    }

    @Override
    public ByteBuf touch() {
        return this;
    }

    @Override
    public ByteBuf touch(Object hint) {
        return this;
    }

    /** Called once, when the count reaches zero. */
    void released() {}

    /** A view the leak detector follows ({@code PARANOID} only). */
    private static final class Tracked extends FrameView {
        private final @Nullable ResourceLeakTracker<FrameView> leak;

        Tracked(ByteBuf frame) {
            super(frame);
            leak = LEAKS.track(this);
        }

        @Override
        public ByteBuf touch(Object hint) {
            if (leak != null) {
                leak.record(hint);
            }
            return this;
        }

        @Override
        void released() {
            if (leak != null) {
                leak.close(this);
            }
        }
    }

    private ByteBuf frame() {
        ByteBuf f = frame;
        if (f == null) {
            // Released: AbstractByteBuf's accessibility checks normally say so first.
            throw new IllegalStateException("frame view released");
        }
        return f;
    }

    // ---- reads, by absolute index, from the frame (whose own indexes nobody moves)

    @Override
    public int capacity() {
        ByteBuf f = frame;
        return f == null ? 0 : f.capacity();
    }

    @Override
    public ByteBufAllocator alloc() {
        return frame().alloc();
    }

    @Override
    @SuppressWarnings("deprecation")
    public ByteOrder order() {
        return ByteOrder.BIG_ENDIAN;
    }

    @Override
    public @Nullable ByteBuf unwrap() {
        // Not a wrapper to the outside: the frame is shared and must not be released or moved.
        return null;
    }

    @Override
    public boolean isDirect() {
        return frame().isDirect();
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public boolean isContiguous() {
        return true;
    }

    @Override
    public boolean hasArray() {
        return false;
    }

    @Override
    public byte[] array() {
        throw new UnsupportedOperationException("a frame view has no array");
    }

    @Override
    public int arrayOffset() {
        throw new UnsupportedOperationException("a frame view has no array");
    }

    @Override
    public boolean hasMemoryAddress() {
        return frame().hasMemoryAddress();
    }

    @Override
    public long memoryAddress() {
        ensureAccessible();
        return frame().memoryAddress();
    }

    @Override
    protected byte _getByte(int index) {
        return frame().getByte(index);
    }

    @Override
    protected short _getShort(int index) {
        return frame().getShort(index);
    }

    @Override
    protected short _getShortLE(int index) {
        return frame().getShortLE(index);
    }

    @Override
    protected int _getUnsignedMedium(int index) {
        return frame().getUnsignedMedium(index);
    }

    @Override
    protected int _getUnsignedMediumLE(int index) {
        return frame().getUnsignedMediumLE(index);
    }

    @Override
    protected int _getInt(int index) {
        return frame().getInt(index);
    }

    @Override
    protected int _getIntLE(int index) {
        return frame().getIntLE(index);
    }

    @Override
    protected long _getLong(int index) {
        return frame().getLong(index);
    }

    @Override
    protected long _getLongLE(int index) {
        return frame().getLongLE(index);
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuf dst, int dstIndex, int length) {
        checkIndex(index, length);
        frame().getBytes(index, dst, dstIndex, length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, byte[] dst, int dstIndex, int length) {
        checkIndex(index, length);
        frame().getBytes(index, dst, dstIndex, length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuffer dst) {
        checkIndex(index, dst.remaining());
        frame().getBytes(index, dst);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, OutputStream out, int length) throws IOException {
        checkIndex(index, length);
        frame().getBytes(index, out, length);
        return this;
    }

    @Override
    public int getBytes(int index, GatheringByteChannel out, int length) throws IOException {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(internalNioBuffer(index, length));
    }

    @Override
    public int getBytes(int index, FileChannel out, long position, int length) throws IOException {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(internalNioBuffer(index, length), position);
    }

    @Override
    public ByteBuf copy(int index, int length) {
        checkIndex(index, length);
        return frame().copy(index, length);
    }

    @Override
    public int nioBufferCount() {
        return 1;
    }

    @Override
    public ByteBuffer nioBuffer(int index, int length) {
        checkIndex(index, length);
        return frame().nioBuffer(index, length);
    }

    @Override
    public ByteBuffer internalNioBuffer(int index, int length) {
        // A buffer of its own: the frame's internal one is shared by every thread writing the frame.
        return nioBuffer(index, length);
    }

    @Override
    public ByteBuffer[] nioBuffers(int index, int length) {
        return new ByteBuffer[] {nioBuffer(index, length)};
    }

    // ---- writes: a frame is shared by every delivery, nobody writes into it

    @Override
    public boolean isWritable() {
        return false;
    }

    @Override
    public boolean isWritable(int size) {
        return false;
    }

    @Override
    public ByteBuf ensureWritable(int minWritableBytes) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int ensureWritable(int minWritableBytes, boolean force) {
        return 1;
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setByte(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setShort(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setShortLE(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setMedium(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setMediumLE(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setInt(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setIntLE(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setLong(int index, long value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setLongLE(int index, long value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuf src, int srcIndex, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBuf setBytes(int index, byte[] src, int srcIndex, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuffer src) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int setBytes(int index, InputStream in, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int setBytes(int index, ScatteringByteChannel in, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int setBytes(int index, FileChannel in, long position, int length) {
        throw new ReadOnlyBufferException();
    }
}
