package io.reactivehub.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Hub;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.codec.RawFrameCodec;
import io.reactivehub.core.codec.WireBuffers;
import io.reactivehub.core.internal.DeliveryQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;

/**
 * One publish into a channel with N subscribers. Run with {@code -prof gc}: allocation per
 * operation divided by N is the cost per delivery. Two modes:
 *
 * <ul>
 *   <li>{@code direct}: every subscriber's listener runs on the publishing thread, takes its own
 *       view (WireBuffers.share) of the message's shared raw frame and offers it to its own bounded
 *       queue, whose subscriber releases it (the socket write, stubbed out): the path of
 *       {@code Hub.subscribe}, and the server's path before the fan-out was grouped by event loop.
 *   <li>{@code loops}: the server's path. The listeners name one of {@value #LOOPS} executors (a
 *       server's event loops), so the publish hands each executor one task; the benchmark thread
 *       then runs those tasks, as the loops would, and each delivers to every listener of its loop
 *       what a server connection's {@code Deliveries} writes: its view of the frame
 *       (WireBuffers.share). The view stays in the connection's stand-in outbound buffer until the
 *       end of the burst, where the flush (a reader that takes everything) releases it, as Netty
 *       does once the socket took the bytes.
 * </ul>
 *
 * <p>The benchmark threads are Netty {@code FastThreadLocalThread}s ({@link NettyThreads}), as a
 * server's event loops are: Netty's thread-local pools behave as they do there.
 *
 * <p>It measures hub-core's internals, not API.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Djmh.executor=CUSTOM", "-Djmh.executor.class=io.reactivehub.bench.jmh.NettyThreads"})
public class FanoutBenchmark {
    static final int LOOPS = 4;

    @Param({"1", "100", "10000"})
    int subscribers;

    @Param({"direct", "loops"})
    String mode;

    private final List<InlineLoop> loops = new ArrayList<>();

    private Hub hub;
    private final ChannelName channel = ChannelName.of("bench");
    private final byte[] payload = new byte[64];
    private final List<Disposable> attached = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        hub = Hub.create();
        if (mode.equals("loops")) {
            for (int i = 0; i < LOOPS; i++) {
                loops.add(new InlineLoop());
            }
            for (int i = 0; i < subscribers; i++) {
                attached.add(hub.attach(channel, new LoopListener(loops.get(i % LOOPS))));
            }
            return;
        }
        for (int i = 0; i < subscribers; i++) {
            DeliveryQueue<ByteBuf> queue =
                    new DeliveryQueue<>(QueueLimits.DEFAULT, ByteBuf::readableBytes, ByteBuf::release);
            queue.subscribe(new BaseSubscriber<>() {
                @Override
                protected void hookOnNext(ByteBuf frame) {
                    frame.release();
                }
            });
            attached.add(hub.attach(channel, m -> queue.offer(WireBuffers.share(m.encoded(RawFrameCodec.INSTANCE)))));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        attached.forEach(Disposable::dispose);
        hub.dispose();
    }

    @Benchmark
    public Object publish() {
        Object result = hub.publish(channel, payload, PayloadType.BINARY).block();
        for (InlineLoop loop : loops) {
            loop.runPending();
        }
        return result;
    }

    /** Stands for an event loop: keeps the tasks it is given until the benchmark thread runs them. */
    static final class InlineLoop implements Executor {
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runPending() {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }
    }

    /**
     * A server connection's listener with the socket stubbed out, as {@code Deliveries} over a
     * {@code ConnectionWriter}: a view of the frame per delivery, written (kept in a stand-in for
     * Netty's outbound buffer) until the burst ends, then flushed (released), as the socket of a
     * reader that keeps up would.
     */
    static final class LoopListener implements ChannelListener {
        private final Executor loop;
        private final ArrayDeque<ByteBuf> outbound = new ArrayDeque<>();

        LoopListener(Executor loop) {
            this.loop = loop;
        }

        @Override
        public void onMessage(Message message) {
            outbound.add(WireBuffers.share(message.encoded(RawFrameCodec.INSTANCE)));
        }

        @Override
        public void onBurstEnd() {
            ByteBuf written;
            while ((written = outbound.poll()) != null) {
                written.release();
            }
        }

        @Override
        public Executor executor() {
            return loop;
        }
    }
}
