package io.reactivehub.bench.jmh;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.core.codec.RawFrameCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Encoding one 64-byte message: the once-per-message cost that fan-out amortises. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
    private final ChannelName channel = ChannelName.of("bench");
    private final byte[] text =
            "{\"user\":\"ann\",\"text\":\"hello, this is sixty-four bytes!!\"}".getBytes(StandardCharsets.UTF_8);

    @Benchmark
    public Object rawFrame() {
        return RawFrameCodec.INSTANCE.encode(new Message(channel, 1, text, PayloadType.TEXT));
    }

    @Benchmark
    public Object hubPushJson() {
        return HubPushCodec.INSTANCE.encode(new Message(channel, 1, text, PayloadType.JSON));
    }

    @Benchmark
    public Object hubPushText() {
        return HubPushCodec.INSTANCE.encode(new Message(channel, 1, text, PayloadType.TEXT));
    }
}
