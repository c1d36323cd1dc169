package io.reactivehub.core.internal;

import io.netty.util.internal.PlatformDependent;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerException;
import io.reactivehub.core.SlowConsumerPolicy;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * One subscriber's bounded queue between a fast producer (the channel fan-out) and a consumer that
 * may be slow (a socket). {@link #offer} never blocks and never waits for the consumer; the queue
 * is bounded in messages and bytes by {@link QueueLimits}, and its {@link SlowConsumerPolicy}
 * decides what an overflow does. Every dropped or discarded item goes to the discard hook (which
 * releases buffers), and drops are counted.
 *
 * <p>Thread-safe: any number of threads may {@link #offer}; signals to the single subscriber are
 * serialized and run on whichever offering or requesting thread drains the queue. One subscriber
 * only; a second one is refused with {@link IllegalStateException}.
 *
 * @param <T> queued items
 */
public final class DeliveryQueue<T> extends Flux<T> implements Subscription {
    private static final int QUEUE_CHUNK = 32;

    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<DeliveryQueue> WIP =
            AtomicIntegerFieldUpdater.newUpdater(DeliveryQueue.class, "wip");

    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<DeliveryQueue> COUNT =
            AtomicLongFieldUpdater.newUpdater(DeliveryQueue.class, "count");

    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<DeliveryQueue> BYTES =
            AtomicLongFieldUpdater.newUpdater(DeliveryQueue.class, "bytes");

    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<DeliveryQueue> REQUESTED =
            AtomicLongFieldUpdater.newUpdater(DeliveryQueue.class, "requested");

    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<DeliveryQueue> DROPPED =
            AtomicLongFieldUpdater.newUpdater(DeliveryQueue.class, "dropped");

    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<DeliveryQueue, CoreSubscriber> ACTUAL =
            AtomicReferenceFieldUpdater.newUpdater(DeliveryQueue.class, CoreSubscriber.class, "actual");

    private final QueueLimits limits;
    private final ToIntFunction<? super T> sizer;
    private final Consumer<? super T> discard;
    /** Chunked array MPSC queue: no node per item (the linked queue it replaces made one per delivery). */
    private final Queue<T> queue = PlatformDependent.newMpscQueue(QUEUE_CHUNK, 1 << 30);

    private volatile int wip;
    private volatile long count;
    private volatile long bytes;
    private volatile long requested;
    private volatile long dropped;
    private volatile @Nullable CoreSubscriber<? super T> actual;
    private volatile boolean overflowed;
    private volatile boolean done;
    private volatile boolean cancelled;
    // Written and read only while draining.
    private @Nullable Throwable error;
    private boolean terminated;

    /**
     * @param limits  bounds and overflow policy
     * @param sizer   bytes an item counts for
     * @param discard called with every item that is dropped or thrown away unsent
     */
    public DeliveryQueue(QueueLimits limits, ToIntFunction<? super T> sizer, Consumer<? super T> discard) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sizer = Objects.requireNonNull(sizer, "sizer");
        this.discard = Objects.requireNonNull(discard, "discard");
    }

    /**
     * Enqueues an item for the subscriber. Never blocks. Once the queue has terminated (overflow
     * under {@link SlowConsumerPolicy#DISCONNECT}, completion or cancellation) the item is
     * discarded instead.
     *
     * @return false when the item was discarded because the queue is no longer open
     */
    public boolean offer(T item) {
        if (done || cancelled) {
            discard.accept(item);
            return false;
        }
        int size = sizer.applyAsInt(item);
        queue.offer(item);
        long c = COUNT.incrementAndGet(this);
        long b = BYTES.addAndGet(this, size);
        if ((c > limits.maxMessages() || b > limits.maxBytes()) && limits.policy() == SlowConsumerPolicy.DISCONNECT) {
            overflowed = true;
        }
        drain();
        return true;
    }

    /** Completes the subscriber once everything queued so far has been delivered. */
    public void complete() {
        done = true;
        drain();
    }

    /** Items waiting now. */
    public long size() {
        return count;
    }

    /** Bytes waiting now. */
    public long bytes() {
        return bytes;
    }

    /** Items dropped by {@link SlowConsumerPolicy#DROP_OLDEST} so far. */
    public long dropped() {
        return dropped;
    }

    /** Whether the queue overflowed under {@link SlowConsumerPolicy#DISCONNECT}. */
    public boolean overflowed() {
        return overflowed;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> subscriber) {
        if (!ACTUAL.compareAndSet(this, null, subscriber)) {
            Operators.error(subscriber, new IllegalStateException("DeliveryQueue allows only one subscriber"));
            return;
        }
        subscriber.onSubscribe(this);
        drain();
    }

    @Override
    public void request(long n) {
        if (Operators.validate(n)) {
            Operators.addCap(REQUESTED, this, n);
            drain();
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        drain();
    }

    private void drain() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        do {
            drainOnce();
            missed = WIP.addAndGet(this, -missed);
        } while (missed != 0);
    }

    private void drainOnce() {
        if (cancelled || terminated) {
            clear();
            return;
        }
        if (overflowed && error == null) {
            error = new SlowConsumerException("subscriber queue overflowed: more than " + limits.maxMessages()
                    + " messages or " + limits.maxBytes() + " bytes waiting");
            done = true;
            clear();
        }
        if (limits.policy() == SlowConsumerPolicy.DROP_OLDEST) {
            dropOldest();
        }
        CoreSubscriber<? super T> a = actual;
        if (a == null) {
            return;
        }
        long r = requested;
        long e = 0;
        while (e != r && error == null) {
            T item = queue.poll();
            if (item == null) {
                break;
            }
            took(item);
            a.onNext(item);
            e++;
        }
        if (e != 0 && r != Long.MAX_VALUE) {
            REQUESTED.addAndGet(this, -e);
        }
        if (done && (error != null || queue.isEmpty())) {
            terminated = true;
            clear();
            Throwable failure = error;
            if (failure != null) {
                a.onError(failure);
            } else {
                a.onComplete();
            }
        }
    }

    private void dropOldest() {
        while (count > limits.maxMessages() || bytes > limits.maxBytes()) {
            T item = queue.poll();
            if (item == null) {
                return;
            }
            took(item);
            DROPPED.incrementAndGet(this);
            discard.accept(item);
        }
    }

    private void took(T item) {
        COUNT.decrementAndGet(this);
        BYTES.addAndGet(this, -sizer.applyAsInt(item));
    }

    private void clear() {
        T item;
        while ((item = queue.poll()) != null) {
            took(item);
            discard.accept(item);
        }
    }
}
