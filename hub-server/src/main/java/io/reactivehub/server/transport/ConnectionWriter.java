package io.reactivehub.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * One connection's bounded outbound queue of encoded frames, written by the connection's own event
 * loop. Other threads only enqueue and, if no drain is pending, schedule one; the drain writes
 * everything the socket accepts and flushes once, so a burst of N messages costs one task and one
 * flush, not N. On the event loop itself, with nothing queued, a frame is written at once: the
 * channel's fan-out on that loop ({@link #offerInBurst}, then {@link #endBurst} once per burst)
 * costs no task at all. When the channel stops being writable, frames wait here (counted against
 * the limits) until Netty reports it writable again.
 *
 * <p>Overflow follows the {@link SlowConsumerPolicy}: {@code DISCONNECT} discards the backlog and
 * calls the overflow hook once (the session closes with 4001); {@code DROP_OLDEST} drops the oldest
 * frames on the event loop and counts them.
 *
 * <p>This replaces Reactor Netty's {@code sendObject(Flux)} on the fan-out path: measured, its
 * per-item operator hops (a second queue, one task per item batch plus one per flush) cost more
 * than the socket writes themselves at 1,000 subscribers.
 */
public final class ConnectionWriter implements Runnable {
    private static final AtomicIntegerFieldUpdater<ConnectionWriter> SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(ConnectionWriter.class, "scheduled");
    private static final AtomicLongFieldUpdater<ConnectionWriter> COUNT =
            AtomicLongFieldUpdater.newUpdater(ConnectionWriter.class, "count");
    private static final AtomicLongFieldUpdater<ConnectionWriter> BYTES =
            AtomicLongFieldUpdater.newUpdater(ConnectionWriter.class, "bytes");

    private final Channel channel;
    /** Taken once: a closed channel is deregistered and no longer answers {@code eventLoop()}. */
    private final EventLoop loop;

    private final ChannelOutboundInvoker out;
    private static final int QUEUE_CHUNK = 32;

    private final QueueLimits limits;
    private final Runnable onOverflow;
    private final LongConsumer onDropped;
    private static final AtomicReferenceFieldUpdater<ConnectionWriter, Queue> QUEUE =
            AtomicReferenceFieldUpdater.newUpdater(ConnectionWriter.class, Queue.class, "queue");

    /**
     * Chunked array MPSC queue: no node allocated per frame. Made at the first frame (an idle
     * connection has none), with small chunks (Netty's default is 1024 slots, 4 KiB): a fast
     * reader's queue rarely holds more than a few frames, and a backlog links further chunks (the
     * capacity is bounded by {@code limits}).
     */
    private volatile @Nullable Queue<ByteBuf> queue;

    private volatile int scheduled;
    private volatile long count;
    private volatile long bytes;
    private volatile boolean overflowed;
    private volatile boolean closed;
    private boolean overflowReported;
    private boolean needsFlush;
    private @Nullable Runnable whenDrained;

    /**
     * @param channel    the connection
     * @param out        where frames enter the pipeline: the WebSocket encoder's context, so that
     *                   already-encoded frames skip every handler above it (they would only pass
     *                   through), or the channel itself when there is no such context
     * @param limits     the queue's bounds and overflow policy
     * @param onOverflow called once, on the event loop, when the queue overflowed under
     *                   {@link SlowConsumerPolicy#DISCONNECT} (the backlog is already discarded)
     * @param onDropped  told how many frames {@link SlowConsumerPolicy#DROP_OLDEST} dropped
     */
    public ConnectionWriter(
            Channel channel,
            ChannelOutboundInvoker out,
            QueueLimits limits,
            Runnable onOverflow,
            LongConsumer onDropped) {
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.onDropped = onDropped;
        this.out = out;
        this.limits = limits;
        this.onOverflow = onOverflow;
    }

    /** The connection's event loop, where frames are written. */
    public EventLoop eventLoop() {
        return loop;
    }

    /** Enqueues a frame (the writer owns it from now on). Any thread; never blocks. */
    public void offer(ByteBuf frame) {
        if (closed || overflowed) {
            frame.release();
            return;
        }
        if (writeNow(frame)) {
            // Flushed once at the end of the burst, by the drain task.
            schedule();
            return;
        }
        enqueue(frame);
    }

    /**
     * As {@link #offer}, for a caller that ends its run of offers with {@link #endBurst()} on the
     * event loop (a channel's fan-out to the connections of one loop): a frame written at once is
     * flushed by {@code endBurst}, not by a task of its own. From another thread it is
     * {@link #offer}.
     */
    public void offerInBurst(ByteBuf frame) {
        if (closed || overflowed) {
            frame.release();
            return;
        }
        if (!writeNow(frame)) {
            enqueue(frame);
        }
    }

    /**
     * Ends a run of {@link #offerInBurst} calls: flushes what they wrote at once (frames they queued
     * are flushed by the drain they scheduled). On the event loop; elsewhere there is nothing to do.
     */
    public void endBurst() {
        if (needsFlush && loop.inEventLoop()) {
            needsFlush = false;
            out.flush();
        }
    }

    /**
     * Already on our loop with nothing waiting: writes now (the caller sees to the flush). Counting
     * such a frame against the queue would let one inbound batch (a client publishing to a channel it
     * subscribes to) overflow its own queue before any drain could run; what the socket does not
     * take makes the channel unwritable, and from then on frames are queued and counted.
     */
    private boolean writeNow(ByteBuf frame) {
        if (count == 0 && loop.inEventLoop() && channel.isWritable()) {
            out.write(frame, out.voidPromise());
            needsFlush = true;
            return true;
        }
        return false;
    }

    private void enqueue(ByteBuf frame) {
        queue().offer(frame);
        long c = COUNT.incrementAndGet(this);
        long b = BYTES.addAndGet(this, frame.readableBytes());
        if ((c > limits.maxMessages() || b > limits.maxBytes()) && limits.policy() == SlowConsumerPolicy.DISCONNECT) {
            overflowed = true;
        }
        schedule();
        if (closed) {
            // Raced with close(): the drain may have finished already; make sure nothing stays queued.
            schedule();
        }
    }

    /** Asks the event loop to drain (again); called on writability changes too. */
    public void schedule() {
        if (SCHEDULED.compareAndSet(this, 0, 1)) {
            loop.execute(this);
        }
    }

    /** Stops accepting frames and releases what waits. Any thread. */
    public void close() {
        closed = true;
        schedule();
    }

    /**
     * Runs {@code action} on the event loop once everything queued now has been written (at once if
     * nothing waits), or once nothing more can be written (closed, overflowed, channel gone). Call
     * on the event loop, after the producers have been detached.
     */
    public void whenDrained(Runnable action) {
        whenDrained = action;
        run();
    }

    /** The drain, on the channel's event loop. */
    @Override
    public void run() {
        scheduled = 0;
        if (closed || overflowed || !channel.isActive()) {
            discard();
            return;
        }
        if (limits.policy() == SlowConsumerPolicy.DROP_OLDEST) {
            dropOldest();
        }
        boolean wrote = false;
        while (channel.isWritable()) {
            ByteBuf frame = take();
            if (frame == null) {
                break;
            }
            out.write(frame, out.voidPromise());
            wrote = true;
        }
        if (wrote || needsFlush) {
            needsFlush = false;
            out.flush();
        }
        if (count == 0) {
            drained();
        }
    }

    /**
     * Nothing more will be written (closed, overflowed, or the channel is gone): releases what
     * waits, flushes what was written directly, reports an overflow once, and counts as drained.
     */
    private void discard() {
        clear();
        if (needsFlush && channel.isActive()) {
            needsFlush = false;
            out.flush();
        }
        if (overflowed && !overflowReported && !closed && channel.isActive()) {
            overflowReported = true;
            onOverflow.run();
        }
        drained();
    }

    private void dropOldest() {
        long dropped = 0;
        while (count > limits.maxMessages() || bytes > limits.maxBytes()) {
            ByteBuf oldest = take();
            if (oldest == null) {
                break;
            }
            oldest.release();
            dropped++;
        }
        if (dropped != 0) {
            onDropped.accept(dropped);
        }
    }

    /** Runs the {@link #whenDrained} action, once. */
    private void drained() {
        Runnable action = whenDrained;
        if (action != null) {
            whenDrained = null;
            action.run();
        }
    }

    @SuppressWarnings("unchecked")
    private Queue<ByteBuf> queue() {
        Queue<ByteBuf> q = queue;
        if (q == null) {
            QUEUE.compareAndSet(this, null, PlatformDependent.newMpscQueue(QUEUE_CHUNK, 1 << 30));
            q = queue;
        }
        return q;
    }

    private @Nullable ByteBuf take() {
        Queue<ByteBuf> q = queue;
        ByteBuf frame = q == null ? null : q.poll();
        if (frame != null) {
            COUNT.decrementAndGet(this);
            BYTES.addAndGet(this, -frame.readableBytes());
        }
        return frame;
    }

    private void clear() {
        ByteBuf frame;
        while ((frame = take()) != null) {
            frame.release();
        }
    }
}
