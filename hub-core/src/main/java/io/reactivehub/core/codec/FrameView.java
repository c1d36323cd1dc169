package io.reactivehub.core.codec;

import io.netty.buffer.AbstractReferenceCountedByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.Recycler;
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
import org.jspecify.annotations.Nullable;

/**
 * One delivery's read-only view of an encoded frame: its own reader index (a partial socket write,
 * or TLS, moves it) and its own reference count, over the frame's memory, which it only reads. No
 * reference count is shared with the frame's other deliveries (a shared counter is a cache line
 * that every event loop writing the frame would fight over), and on an event loop no object is
 * made per delivery: views are pooled per thread by Netty's {@link Recycler} and go back to the
 * pool of the thread that took them when Netty releases them after the write. (The Recycler pools
 * only on Netty's own threads; a view taken elsewhere, say by a thread replaying history, is a new
 * object each time, as every view used to be.)
 *
 * <p>A view keeps its frame reachable until it is released; then it forgets it, so that a pooled
 * view never holds a frame's memory. A view dropped without {@code release()} leaks nothing (the
 * memory is the garbage collector's) but is lost to the pool: at Netty's {@code PARANOID} leak
 * detection level (the tests') every view is tracked and such a view is reported. Below it none
 * is: the detector's sampling (one in 128 at {@code SIMPLE}, Netty's default) records a stack
 * trace per sample, which at millions of deliveries a second would cost more than the view saves.
 */
final class FrameView extends AbstractReferenceCountedByteBuf {
    /**
     * Views kept per thread: a channel's fan-out task on one event loop makes at most 16,384
     * deliveries (LoopFanout.DELIVERIES_PER_TASK), all of them written before the flushes at the
     * task's end. Half of them in the owner thread's own array (Netty's default: 32), so that
     * releasing a task's views seldom goes through the pool's queue, which allocates a chunk per
     * that many entries.
     */
    private static final int POOLED_PER_THREAD = 16_384;

    private static final Recycler<FrameView> POOL = new Recycler<>(POOLED_PER_THREAD, 8, POOLED_PER_THREAD / 2) {
        @Override
        protected FrameView newObject(Handle<FrameView> handle) {
            return new FrameView(handle);
        }
    };

    private static final ResourceLeakDetector<FrameView> LEAKS =
            ResourceLeakDetectorFactory.instance().newResourceLeakDetector(FrameView.class);
    private static final boolean TRACKED = ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.PARANOID;

    private final Recycler.Handle<FrameView> handle;
    private @Nullable ByteBuf frame;
    private @Nullable ResourceLeakTracker<FrameView> leak;
    /** This view's own {@link #internalNioBuffer}: NIO transport and TLS only; epoll uses the address. */
    private @Nullable ByteBuffer internal;

    private FrameView(Recycler.Handle<FrameView> handle) {
        super(0);
        this.handle = handle;
    }

    /**
     * A view of {@code frame}'s readable bytes, at the same indexes (as {@code duplicate()}); the
     * frame is never written, retained or released through it.
     */
    static FrameView of(ByteBuf frame) {
        FrameView view = POOL.get();
        view.frame = frame;
        view.resetRefCnt();
        view.maxCapacity(frame.capacity());
        view.setIndex(frame.readerIndex(), frame.writerIndex());
        view.markReaderIndex();
        view.markWriterIndex();
        if (TRACKED) {
            view.leak = LEAKS.track(view);
        }
        return view;
    }

    @Override
    protected void deallocate() {
        ResourceLeakTracker<FrameView> tracker = leak;
        leak = null;
        frame = null;
        internal = null;
        if (tracker != null) {
            tracker.close(this);
        }
        handle.recycle(this);
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
        checkIndex(index, length);
        ByteBuffer tmp = internal;
        if (tmp == null) {
            // Not the frame's own internalNioBuffer: that one is shared by every thread writing the frame.
            internal = tmp = frame().nioBuffer(0, capacity());
        }
        return (ByteBuffer) tmp.clear().position(index).limit(index + length);
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
