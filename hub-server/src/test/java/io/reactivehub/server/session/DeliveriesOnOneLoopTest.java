package io.reactivehub.server.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Hub;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import io.reactivehub.core.codec.RawFrameCodec;
import io.reactivehub.server.transport.ConnectionWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * Several connections on one event loop subscribed to one channel, as a server's are: the hub
 * hands a burst to the loop once, the loop writes the shared frame to each connection and flushes
 * each once. Connections are Netty local channels on a single-threaded loop; each pipeline ends in
 * a {@link Wire} that records what reaches it instead of a socket. A burst is made exact by holding
 * the loop on a latch while the test publishes; the loop's task queue is first in, first out, so a
 * task submitted afterwards runs after everything the burst scheduled.
 */
class DeliveriesOnOneLoopTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ChannelName ROOM = ChannelName.of("room");
    private static final QueueLimits ROOMY = new QueueLimits(1_000, 1_000_000, SlowConsumerPolicy.DISCONNECT);

    private final Hub hub = Hub.create();
    private final DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
    private final EventLoop loop = group.next();
    private final LocalAddress address = new LocalAddress("deliveries-" + UUID.randomUUID());
    private final Channel server = new ServerBootstrap()
            .group(group)
            .channel(LocalServerChannel.class)
            .childHandler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {} // the peer's side: reads and drops
            })
            .bind(address)
            .syncUninterruptibly()
            .channel();
    private final List<Disposable> attached = new ArrayList<>();

    @AfterEach
    void tearDown() {
        attached.forEach(Disposable::dispose);
        hub.dispose();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One subscribed connection: its channel, writer, and what reached its "socket". */
    private final class Connection {
        final Wire wire = new Wire();
        final AtomicInteger overflows = new AtomicInteger();
        final List<Long> dropped = new CopyOnWriteArrayList<>();
        final Channel channel;
        final ConnectionWriter writer;

        Connection(QueueLimits limits) {
            Encoder encoder = new Encoder();
            channel = new Bootstrap()
                    .group(group)
                    .channel(LocalChannel.class)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(wire, encoder);
                        }
                    })
                    .connect(address)
                    .syncUninterruptibly()
                    .channel();
            writer = new ConnectionWriter(
                    channel, channel.pipeline().context(encoder), limits, overflows::incrementAndGet, dropped::add);
            attached.add(hub.attach(ROOM, new Deliveries(writer, RawFrameCodec.INSTANCE)));
        }

        void writable(boolean writable) throws Exception {
            onLoop(() -> channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable));
        }
    }

    private void onLoop(Runnable action) throws Exception {
        loop.submit(action).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Publishes the texts as one burst: the loop is held until all of them reached its queue. */
    private void burst(List<String> texts) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                gate.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (String text : texts) {
            hub.publish(ROOM.value(), text).block(TIMEOUT);
        }
        gate.countDown();
        // The fan-out task, then what it scheduled (the writers' own drains), have run.
        onLoop(() -> {});
        onLoop(() -> {});
    }

    private static List<String> texts(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "m" + i).toList();
    }

    @Test
    void aBurstIsWrittenToEveryConnectionOfTheLoopAndFlushedOncePerConnection() throws Exception {
        List<Connection> connections = List.of(new Connection(ROOMY), new Connection(ROOMY), new Connection(ROOMY));

        burst(texts(0, 20));

        for (Connection c : connections) {
            assertThat(c.wire.flushed).containsExactlyElementsOf(texts(0, 20));
            assertThat(c.wire.flushes.get()).isEqualTo(1);
        }
        assertThat(hub.deliveries()).isEqualTo(60);
    }

    @Test
    void aSlowConsumerOverflowsAloneAndTheOthersOnTheLoopGetEverything() throws Exception {
        QueueLimits small = new QueueLimits(16, 1_000_000, SlowConsumerPolicy.DISCONNECT);
        Connection healthy = new Connection(small);
        Connection slow = new Connection(small);
        Connection other = new Connection(small);
        slow.writable(false);

        burst(texts(0, 50));

        assertThat(slow.overflows.get()).as("the session closes it with 4001").isEqualTo(1);
        assertThat(slow.wire.written).isEmpty();
        for (Connection c : List.of(healthy, other)) {
            assertThat(c.wire.flushed).containsExactlyElementsOf(texts(0, 50));
            assertThat(c.overflows.get()).isZero();
        }
    }

    @Test
    void dropOldestCountsWhatItDropsAndKeepsTheNewestInOrder() throws Exception {
        QueueLimits small = new QueueLimits(16, 1_000_000, SlowConsumerPolicy.DROP_OLDEST);
        Connection healthy = new Connection(small);
        Connection slow = new Connection(small);
        slow.writable(false);

        burst(texts(0, 50));
        slow.writable(true);
        onLoop(slow.writer::schedule);
        onLoop(() -> {});

        assertThat(slow.dropped).containsExactly(34L);
        assertThat(slow.wire.flushed).containsExactlyElementsOf(texts(34, 50));
        assertThat(healthy.wire.flushed).containsExactlyElementsOf(texts(0, 50));
        assertThat(healthy.dropped).isEmpty();
    }

    @Test
    void aConnectionThatLeavesIsFlushedForWhatItGotAndGetsNothingMore() throws Exception {
        Connection stays = new Connection(ROOMY);
        Connection leaves = new Connection(ROOMY);
        burst(texts(0, 5));
        attached.get(1).dispose();

        burst(texts(5, 10));

        assertThat(leaves.wire.flushed).containsExactlyElementsOf(texts(0, 5));
        assertThat(stays.wire.flushed).containsExactlyElementsOf(texts(0, 10));
        assertThat(hub.subscriberCount(ROOM)).isEqualTo(1);
    }

    /** Stands above the "socket" as the WebSocket encoder does; the writer's frames enter below it. */
    private static final class Encoder extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            throw new AssertionError("a frame went through the encoder");
        }
    }

    /**
     * First in the pipeline, so outbound events reach it last: the end of the line, like a socket.
     * Records each frame's payload (raw frames under 126 bytes: a 2-byte header) and counts flushes;
     * releases the frames.
     */
    private static final class Wire extends ChannelOutboundHandlerAdapter {
        final List<String> written = new CopyOnWriteArrayList<>();
        final List<String> flushed = new CopyOnWriteArrayList<>();
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public boolean isSharable() {
            return false;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                written.add(frame.toString(frame.readerIndex() + 2, frame.readableBytes() - 2, UTF_8));
            } finally {
                frame.release();
            }
            promise.trySuccess();
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            flushed.addAll(written.subList(flushed.size(), written.size()));
        }
    }
}
