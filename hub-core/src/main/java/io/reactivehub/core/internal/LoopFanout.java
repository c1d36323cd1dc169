package io.reactivehub.core.internal;

import io.netty.util.internal.PlatformDependent;
import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/**
 * The listeners of one channel that run on one executor (a connection's event loop), as a single
 * subscriber of the channel's sink: the emitting thread only enqueues the item and, if no drain is
 * pending, submits one; the drain, on the executor, hands every item to every member in order and
 * then tells each member the burst ended (a server connection flushes there). A burst of N
 * messages to M listeners of one loop thus costs one task and one cross-thread wake-up, not M.
 *
 * <p>Thread-safety: {@link #onNext} runs on the broker's thread, one item at a time per channel;
 * {@link #run} on the executor; membership changes under the registry's map entry for the channel,
 * from any thread ({@link #add}, {@link #remove}: copy-on-write, seen by the drain from the next
 * item on). A member added while items wait may receive some emitted just before it was added: in
 * order, and harmless to a {@link RecoveryBuffer} (it holds them like any live message).
 *
 * <p>Bounded: past {@link ChannelListener#EXECUTOR_BACKLOG} waiting items (an executor that cannot
 * keep up) further items are dropped and one interruption stands in their place, so members are
 * told (see {@link ChannelListener#onInterrupted}) and the node's memory does not grow.
 */
final class LoopFanout implements CoreSubscriber<Object>, Runnable {
    private static final Logger log = LoggerFactory.getLogger(LoopFanout.class);
    private static final AtomicIntegerFieldUpdater<LoopFanout> SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(LoopFanout.class, "scheduled");
    private static final AtomicIntegerFieldUpdater<LoopFanout> BACKLOG =
            AtomicIntegerFieldUpdater.newUpdater(LoopFanout.class, "backlog");
    private static final ChannelRegistry.Attachment[] NONE = new ChannelRegistry.Attachment[0];
    /** Stands for the sink's completion (the hub closed) in line with the items. */
    private static final Object COMPLETE = new Object();
    /**
     * Deliveries (items × members) one task makes at most before it hands the loop back to its
     * other work (reads, the connections' own tasks) and submits itself again.
     */
    static final int DELIVERIES_PER_TASK = 16_384;

    private final ChannelName channel;
    private final Executor executor;
    private final int maxBacklog;
    /** Chunked array MPSC queue: no node per item. */
    private final Queue<Object> queue = PlatformDependent.newMpscQueue(64, 1 << 30);

    private volatile ChannelRegistry.Attachment[] members = NONE;
    private volatile @Nullable Subscription subscription;
    private volatile int scheduled;
    private volatile int backlog;
    /** An interruption stands for dropped items already; only the emitting thread reads or writes it. */
    private boolean dropping;

    LoopFanout(ChannelName channel, Executor executor, int maxBacklog) {
        this.channel = channel;
        this.executor = executor;
        this.maxBacklog = maxBacklog;
    }

    Executor executor() {
        return executor;
    }

    /** Under the channel's map entry. */
    void add(ChannelRegistry.Attachment member) {
        ChannelRegistry.Attachment[] current = members;
        ChannelRegistry.Attachment[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = member;
        members = next;
    }

    /** Under the channel's map entry; returns whether no member is left. */
    boolean remove(ChannelRegistry.Attachment member) {
        ChannelRegistry.Attachment[] current = members;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == member) {
                ChannelRegistry.Attachment[] next = new ChannelRegistry.Attachment[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                members = next;
                break;
            }
        }
        return members.length == 0;
    }

    /** Leaves the channel's sink (the last member is gone); what still waits is dropped by the drain. */
    void cancel() {
        Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        members = NONE;
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(subscription, s)) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(Object item) {
        if (backlog >= maxBacklog) {
            if (!dropping) {
                dropping = true;
                log.warn(
                        "channel {}: an event loop is {} items behind; its subscribers are told they missed messages",
                        channel,
                        maxBacklog);
                enqueue(ChannelEvent.Interrupted.INSTANCE);
            }
            return;
        }
        dropping = false;
        enqueue(item);
    }

    @Override
    public void onError(Throwable t) {
        enqueue(COMPLETE);
    }

    @Override
    public void onComplete() {
        enqueue(COMPLETE);
    }

    private void enqueue(Object item) {
        queue.offer(item);
        BACKLOG.incrementAndGet(this);
        if (SCHEDULED.compareAndSet(this, 0, 1)) {
            executor.execute(this);
        }
    }

    /** The drain, on the executor. */
    @Override
    public void run() {
        scheduled = 0;
        int deliveries = 0;
        // The members that got something since their last onBurstEnd (membership rarely changes
        // within a task; when it does, the earlier members' burst ends there).
        ChannelRegistry.Attachment[] touched = NONE;
        Object item;
        while (deliveries < DELIVERIES_PER_TASK && (item = queue.poll()) != null) {
            BACKLOG.decrementAndGet(this);
            ChannelRegistry.Attachment[] current = members;
            if (current != touched) {
                endBurst(touched);
                touched = current;
            }
            if (item == COMPLETE) {
                endBurst(touched);
                touched = NONE;
                for (ChannelRegistry.Attachment member : current) {
                    member.close();
                }
                continue;
            }
            for (ChannelRegistry.Attachment member : current) {
                member.deliver(item);
            }
            deliveries += Math.max(current.length, 1);
        }
        endBurst(touched);
        if (!queue.isEmpty() && SCHEDULED.compareAndSet(this, 0, 1)) {
            executor.execute(this);
        }
    }

    private static void endBurst(ChannelRegistry.Attachment[] touched) {
        for (ChannelRegistry.Attachment member : touched) {
            member.burstEnded();
        }
    }
}
