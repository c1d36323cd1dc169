package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.HubException;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.StreamPosition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;

/**
 * The in-process broker: one node, nothing else needed. Each channel that has subscribers or
 * kept history is a stream here: publishers enqueue into its lock-free queue, and whichever thread
 * finds it idle drains it, numbers the messages, appends them to the bounded history and hands them
 * to the hub, so emission is serialized without locks or spinning. A stream without subscribers
 * and without history is removed at once (a new one starts a new epoch); a channel's history is
 * dropped when nothing was published to it for its TTL (checked every second), and a stream left
 * with neither subscribers nor history is removed. History is bounded node-wide by
 * {@link HistoryLimits}: a publish that would go past them is refused with
 * {@link ErrorCode#LIMIT_EXCEEDED}.
 */
public final class LocalBroker implements Broker {
    private final ConcurrentHashMap<ChannelName, Stream> streams = new ConcurrentHashMap<>();
    private final HistoryLimits limits;
    /** Payload bytes in every stream's history. */
    private final AtomicLong historyBytes = new AtomicLong();
    /** Streams whose history is not empty. */
    private final AtomicInteger historyChannels = new AtomicInteger();

    private volatile @Nullable BrokerListener listener;
    private volatile @Nullable Disposable sweeper;

    /** With {@link HistoryLimits#DEFAULT}. */
    public LocalBroker() {
        this(HistoryLimits.DEFAULT);
    }

    public LocalBroker(HistoryLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Payload bytes held in history now, over all channels. */
    public long historyBytes() {
        return historyBytes.get();
    }

    @Override
    public void start(BrokerListener listener) {
        this.listener = listener;
        this.sweeper = Schedulers.parallel().schedulePeriodically(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type, ChannelOptions options) {
        return Mono.create(sink -> {
            Stream stream = options.hasHistory() ? streams.computeIfAbsent(channel, Stream::new) : streams.get(channel);
            if (stream == null) {
                sink.success(PublishResult.NO_SUBSCRIBERS);
            } else {
                stream.publish(new Publication(payload, type, options, sink));
            }
        });
    }

    @Override
    public Mono<Void> subscribe(ChannelName channel, ChannelOptions options) {
        streams.compute(channel, (name, s) -> {
            Stream stream = s != null ? s : new Stream(name);
            stream.subscribed = true;
            return stream;
        });
        return Mono.empty();
    }

    @Override
    public void unsubscribe(ChannelName channel) {
        streams.computeIfPresent(channel, (name, s) -> {
            s.subscribed = false;
            return s.historyEmpty() ? s.remove() : s;
        });
    }

    @Override
    public Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit, ChannelOptions options) {
        return Mono.fromSupplier(
                () -> streams.computeIfAbsent(channel, Stream::new).read(since, limit));
    }

    @Override
    public Mono<Void> announce(ChannelName channel, PresenceEvent event) {
        return Mono.fromRunnable(() -> {
            Stream stream = streams.get(channel);
            if (stream != null) {
                // Through the stream's queue: events and messages reach the hub one at a time.
                stream.publish(new Announcement(event));
            }
        });
    }

    /** Drops expired history; removes streams left with no subscriber and no history. */
    private void sweep() {
        long now = System.nanoTime();
        for (Stream stream : streams.values()) {
            stream.expire(now);
            if (!stream.subscribed && stream.historyEmpty()) {
                streams.computeIfPresent(
                        stream.name, (name, s) -> s == stream && !s.subscribed && s.historyEmpty() ? s.remove() : s);
            }
        }
    }

    @Override
    public void dispose() {
        Disposable s = sweeper;
        if (s != null) {
            s.dispose();
        }
        streams.values().forEach(stream -> {
            synchronized (stream.history) {
                if (!stream.history.isEmpty()) {
                    stream.clear();
                }
            }
        });
        streams.clear();
    }

    @Override
    public boolean isDisposed() {
        Disposable s = sweeper;
        return s != null && s.isDisposed();
    }

    /** What waits in a stream's queue: a message to number and deliver, or a join/leave to pass on. */
    private sealed interface Pending permits Publication, Announcement {}

    private record Publication(byte[] payload, PayloadType type, ChannelOptions options, MonoSink<PublishResult> result)
            implements Pending {}

    private record Announcement(PresenceEvent event) implements Pending {}

    /** One channel's numbering, history and emission queue. */
    private final class Stream {
        private static final AtomicIntegerFieldUpdater<Stream> WIP =
                AtomicIntegerFieldUpdater.newUpdater(Stream.class, "wip");

        final ChannelName name;
        final String epoch = Epochs.next();
        /** Guarded by the streams map entry. */
        boolean subscribed;
        /** Set when removed from the map: what is still queued is not delivered. */
        volatile boolean removed;

        private final Queue<Pending> pending =
                Queues.<Pending>unboundedMultiproducer().get();
        private volatile int wip;
        /** Written by the draining thread, under the history lock. */
        private volatile long lastOffset;

        private final ArrayDeque<Message> history = new ArrayDeque<>();
        /** When the history is dropped unless another message is published (System.nanoTime). */
        private long expiresAt;

        Stream(ChannelName name) {
            this.name = name;
        }

        @Nullable
        Stream remove() {
            removed = true;
            return null;
        }

        void publish(Pending p) {
            pending.offer(p);
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            do {
                Pending next;
                while ((next = pending.poll()) != null) {
                    emit(next);
                }
                missed = WIP.addAndGet(this, -missed);
            } while (missed != 0);
        }

        private void emit(Pending p) {
            BrokerListener l = listener;
            if (p instanceof Announcement a) {
                if (!removed && l != null) {
                    PresenceEvent event = a.event();
                    if (event.joined()) {
                        l.onJoin(name, event.client());
                    } else {
                        l.onLeave(name, event.client());
                    }
                }
                return;
            }
            Publication pub = (Publication) p;
            if (removed && l != null && pub.options().hasHistory()) {
                // The sweeper removed this stream (history expired) between the lookup and now: the
                // message belongs to the channel's next stream, a new epoch.
                streams.computeIfAbsent(name, Stream::new).publish(pub);
                return;
            }
            if (removed || l == null) {
                // Removed while this publish waited: nobody subscribed and no history, as if published before.
                pub.result().success(PublishResult.NO_SUBSCRIBERS);
                return;
            }
            Message message = number(pub);
            if (message == null) {
                pub.result()
                        .error(new HubException(
                                ErrorCode.LIMIT_EXCEEDED,
                                "this node's history is full (" + limits.maxChannels() + " channels, "
                                        + limits.maxBytes() + " bytes): nothing was published"));
                return;
            }
            int subscribers = l.onMessage(message);
            pub.result().success(new PublishResult(subscribers, message.offset(), epoch));
        }

        /**
         * Gives the message its offset and, if the channel keeps history, appends it; null (and
         * nothing numbered) when the node's history limits refuse it.
         */
        private @Nullable Message number(Publication pub) {
            ChannelOptions options = pub.options();
            if (!options.hasHistory()) {
                Message message = new Message(name, lastOffset + 1, epoch, pub.payload(), pub.type());
                lastOffset = message.offset();
                return message;
            }
            synchronized (history) {
                int size = pub.payload().length;
                Message oldest = history.size() >= options.historySize() ? history.peekFirst() : null;
                long freed = oldest == null ? 0 : oldest.payload().length;
                if (history.isEmpty() && historyChannels.get() >= limits.maxChannels()
                        || historyBytes.get() + size - freed > limits.maxBytes()) {
                    return null;
                }
                Message message = new Message(name, lastOffset + 1, epoch, pub.payload(), pub.type());
                lastOffset = message.offset();
                if (history.isEmpty()) {
                    historyChannels.incrementAndGet();
                }
                history.addLast(message);
                historyBytes.addAndGet(size);
                expiresAt = System.nanoTime() + options.historyTtl().toNanos();
                while (history.size() > options.historySize()) {
                    historyBytes.addAndGet(-history.removeFirst().payload().length);
                }
                return message;
            }
        }

        HistoryResult read(@Nullable Long since, int limit) {
            synchronized (history) {
                expire(System.nanoTime());
                List<Message> out = new ArrayList<>(Math.min(Math.max(limit, 0), history.size()));
                if (limit > 0) {
                    if (since == null) {
                        int skip = Math.max(0, history.size() - limit);
                        Iterator<Message> it = history.iterator();
                        for (int i = 0; it.hasNext(); i++) {
                            Message m = it.next();
                            if (i >= skip) {
                                out.add(m);
                            }
                        }
                    } else {
                        for (Message m : history) {
                            if (m.offset() > since && out.size() < limit) {
                                out.add(m);
                            }
                        }
                    }
                }
                return new HistoryResult(new StreamPosition(lastOffset, epoch), out);
            }
        }

        void expire(long now) {
            synchronized (history) {
                if (!history.isEmpty() && expiresAt - now <= 0) {
                    clear();
                }
            }
        }

        /** Under the history lock. */
        private void clear() {
            long bytes = 0;
            for (Message m : history) {
                bytes += m.payload().length;
            }
            historyBytes.addAndGet(-bytes);
            historyChannels.decrementAndGet();
            history.clear();
        }

        boolean historyEmpty() {
            synchronized (history) {
                return history.isEmpty();
            }
        }
    }
}
