package io.reactivehub.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Hub;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.codec.RawFrameCodec;
import io.reactivehub.core.codec.WireBuffers;
import io.reactivehub.core.internal.DeliveryQueue;
import java.util.ArrayList;
import java.util.List;
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
 * One publish into a channel with N subscribers, through the server's own path: every
 * subscriber's listener takes its own view (WireBuffers.share) of the message's shared raw frame and offers
 * it to its own bounded queue, whose subscriber releases it (the socket write, stubbed out).
 * Run with {@code -prof gc}: allocation per operation divided by N is the cost per delivery. It
 * measures hub-core's internals (the {@code DeliveryQueue} behind {@code Hub.subscribe}), not API.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FanoutBenchmark {
    @Param({"1", "100", "10000"})
    int subscribers;

    private Hub hub;
    private final ChannelName channel = ChannelName.of("bench");
    private final byte[] payload = new byte[64];
    private final List<Disposable> attached = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        hub = Hub.create();
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
        return hub.publish(channel, payload, PayloadType.BINARY).block();
    }
}
