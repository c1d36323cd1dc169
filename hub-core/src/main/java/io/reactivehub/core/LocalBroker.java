package io.reactivehub.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
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
 * with neither subscribers nor history is removed.
 */
public final class LocalBroker implements Broker {
    private final ConcurrentHashMap<ChannelName, Stream> streams = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ChannelName, ConcurrentHashMap<String, ClientInfo>> presence =
            new ConcurrentHashMap<>();
    private volatile @Nullable Delivery delivery;
    private volatile @Nullable Disposable sweeper;

    @Override
    public void start(Delivery delivery) {
        this.delivery = delivery;
        this.sweeper = Schedulers.parallel().schedulePeriodically(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type, ChannelOptions options) {
        return Mono.create(sink -> {
            Stream stream = options.hasHistory()
                    ? streams.computeIfAbsent(channel, Stream::new)
                    : streams.get(channel);
            if (stream == null) {
                sink.success(PublishResult.NO_SUBSCRIBERS);
            } else {
                stream.publish(new Pending(payload, type, options, sink, null));
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
        return Mono.fromSupplier(() -> streams.computeIfAbsent(channel, Stream::new).read(since, limit));
    }

    @Override
    public Mono<Void> join(ChannelName channel, ClientInfo client, ChannelOptions options) {
        return Mono.fromRunnable(() -> {
            presence.computeIfAbsent(channel, c -> new ConcurrentHashMap<>()).put(client.client(), client);
            announce(channel, new PresenceEvent(true, client), options);
        });
    }

    @Override
    public Mono<Void> leave(ChannelName channel, ClientInfo client, ChannelOptions options) {
        return Mono.fromRunnable(() -> {
            ClientInfo[] removed = new ClientInfo[1];
            presence.computeIfPresent(channel, (c, clients) -> {
                removed[0] = clients.remove(client.client());
                return clients.isEmpty() ? null : clients;
            });
            if (removed[0] != null) {
                announce(channel, new PresenceEvent(false, client), options);
            }
        });
    }

    private void announce(ChannelName channel, PresenceEvent event, ChannelOptions options) {
        if (options.joinLeave()) {
            Stream stream = streams.get(channel);
            if (stream != null) {
                // Through the stream's queue: events and messages reach the hub one at a time.
                stream.publish(new Pending(null, null, options, null, event));
            }
        }
    }

    @Override
    public Mono<List<ClientInfo>> presence(ChannelName channel) {
        return Mono.fromSupplier(() -> {
            ConcurrentHashMap<String, ClientInfo> clients = presence.get(channel);
            return clients == null ? List.of() : List.copyOf(clients.values());
        });
    }

    /** Drops expired history; removes streams left with no subscriber and no history. */
    private void sweep() {
        long now = System.nanoTime();
        for (Stream stream : streams.values()) {
            stream.expire(now);
            if (!stream.subscribed && stream.historyEmpty()) {
                streams.computeIfPresent(stream.name,
                        (name, s) -> s == stream && !s.subscribed && s.historyEmpty() ? s.remove() : s);
            }
        }
    }

    @Override
    public void dispose() {
        Disposable s = sweeper;
        if (s != null) {
            s.dispose();
        }
        streams.clear();
        presence.clear();
    }

    @Override
    public boolean isDisposed() {
        Disposable s = sweeper;
        return s != null && s.isDisposed();
    }

    static String newEpoch() {
        return Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    private record Pending(byte @Nullable [] payload, @Nullable PayloadType type, ChannelOptions options,
                           @Nullable MonoSink<PublishResult> result, @Nullable PresenceEvent event) {
    }

    /** One channel's numbering, history and emission queue. */
    private final class Stream {
        private static final AtomicIntegerFieldUpdater<Stream> WIP =
                AtomicIntegerFieldUpdater.newUpdater(Stream.class, "wip");

        final ChannelName name;
        final String epoch = newEpoch();
        /** Guarded by the streams map entry. */
        boolean subscribed;
        /** Set when removed from the map: what is still queued is not delivered. */
        volatile boolean removed;
        private final Queue<Pending> pending = Queues.<Pending>unboundedMultiproducer().get();
        private volatile int wip;
        /** Written by the draining thread, under the history lock. */
        private volatile long lastOffset;
        private final ArrayDeque<Message> history = new ArrayDeque<>();
        /** When the history is dropped unless another message is published (System.nanoTime). */
        private long expiresAt;

        Stream(ChannelName name) {
            this.name = name;
        }

        @Nullable Stream remove() {
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
            Delivery d = delivery;
            if (p.event != null) {
                if (!removed && d != null) {
                    d.deliver(Message.presence(name, p.event));
                }
                return;
            }
            MonoSink<PublishResult> result = p.result;
            if (removed && d != null && p.options.hasHistory()) {
                // The sweeper removed this stream (history expired) between the lookup and now: the
                // message belongs to the channel's next stream, a new epoch.
                streams.computeIfAbsent(name, Stream::new).publish(p);
                return;
            }
            if (removed || d == null) {
                // Removed while this publish waited: nobody subscribed and no history, as if published before.
                if (result != null) {
                    result.success(PublishResult.NO_SUBSCRIBERS);
                }
                return;
            }
            ChannelOptions options = p.options;
            Message message;
            if (options.hasHistory()) {
                synchronized (history) {
                    message = new Message(name, lastOffset + 1, epoch, p.payload, p.type);
                    lastOffset = message.offset();
                    history.addLast(message);
                    expiresAt = System.nanoTime() + options.historyTtl().toNanos();
                    while (history.size() > options.historySize()) {
                        history.removeFirst();
                    }
                }
            } else {
                message = new Message(name, lastOffset + 1, epoch, p.payload, p.type);
                lastOffset = message.offset();
            }
            int subscribers = d.deliver(message);
            if (result != null) {
                result.success(new PublishResult(subscribers, message.offset(), epoch));
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
                    history.clear();
                }
            }
        }

        boolean historyEmpty() {
            synchronized (history) {
                return history.isEmpty();
            }
        }
    }
}
