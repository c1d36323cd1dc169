package io.reactivehub.server.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * ConnectionWriter on an {@link EmbeddedChannel}. The embedded event loop answers
 * {@code inEventLoop()} with true on every thread and queues what it is given to execute until the
 * test calls {@code runPendingTasks()} (or EmbeddedChannel runs them itself, after its own
 * operations: see below), so a drain happens when a test says so. Because of that,
 * {@code offer} takes its direct-write path whenever nothing is queued and the channel is
 * writable; tests reach the queued path deliberately by making the channel unwritable first
 * (a user-defined writability bit of its outbound buffer).
 *
 * <p>As in a real connection, the writer's frames enter the pipeline below an encoder (through
 * the encoder's context), which must never see them. {@link Wire}, first in the pipeline, stands
 * for the socket: it records every write and flush and keeps the frames, so that
 * {@link #onTheWire()} reads (and releases) what was flushed. It passes nothing on to the
 * channel, because EmbeddedChannel runs its pending tasks after every write or flush that reaches
 * it (and after its own {@code write} and {@code flush}), which would run the writer's drain in
 * the middle of a burst, behind the test's back.
 */
class ConnectionWriterTest {
    private static final QueueLimits ROOMY = new QueueLimits(1_000, 1_000_000, SlowConsumerPolicy.DISCONNECT);

    private final Wire wire = new Wire();
    private final Encoder encoder = new Encoder();
    private final AtomicInteger overflows = new AtomicInteger();
    private final List<Long> dropped = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(wire, encoder);

    private ConnectionWriter writer(QueueLimits limits) {
        return new ConnectionWriter(
                channel, channel.pipeline().context(encoder), limits, overflows::incrementAndGet, dropped::add);
    }

    private static ByteBuf frame(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(UTF_8));
    }

    private static List<String> names(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i).collect(Collectors.toList());
    }

    /** Offers one frame per text and returns the frames (still referenced, to check their refCnt later). */
    private static List<ByteBuf> offerAll(ConnectionWriter writer, List<String> texts) {
        List<ByteBuf> frames = new ArrayList<>();
        for (String text : texts) {
            ByteBuf frame = frame(text);
            frames.add(frame);
            writer.offer(frame);
        }
        return frames;
    }

    private void unwritable() {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        assertThat(channel.isWritable()).isFalse();
    }

    private void writable() {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        assertThat(channel.isWritable()).isTrue();
    }

    /** Takes (and releases) everything flushed so far, as text. */
    private List<String> onTheWire() {
        List<String> texts = new ArrayList<>();
        ByteBuf out;
        while ((out = wire.flushed.poll()) != null) {
            try {
                texts.add(out.toString(UTF_8));
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        return texts;
    }

    @AfterEach
    void finish() {
        wire.releaseAll();
        channel.finishAndReleaseAll();
    }

    @Nested
    class Ordering {
        @Test
        void framesAreWrittenInOfferOrder() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            offerAll(writer, names("m", 20));
            writable();

            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactlyElementsOf(names("m", 20));
        }

        @Test
        void anOfferOnTheLoopWithNothingQueuedIsWrittenAtOnceAndFlushedByTheDrain() {
            ConnectionWriter writer = writer(ROOMY);

            writer.offer(frame("now"));

            assertThat(wire.written).containsExactly("now");
            assertThat(wire.flushes).isZero();
            assertThat(onTheWire()).isEmpty();

            channel.runPendingTasks();

            assertThat(wire.flushes).isEqualTo(1);
            assertThat(onTheWire()).containsExactly("now");
        }

        @Test
        void anOfferOnTheLoopQueuesBehindFramesAlreadyWaiting() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            writer.offer(frame("first"));
            writable();

            writer.offer(frame("second"));

            assertThat(wire.written)
                    .as("nothing may overtake the waiting frame")
                    .isEmpty();
            channel.runPendingTasks();
            assertThat(onTheWire()).containsExactly("first", "second");
        }

        @Test
        void framesEnterThePipelineBelowTheGivenContext() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            writer.offer(frame("queued"));
            writable();
            writer.offer(frame("queued too"));
            channel.runPendingTasks();
            writer.offer(frame("direct"));
            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("queued", "queued too", "direct");
            assertThat(encoder.writes)
                    .as("writes seen by the handler the context belongs to")
                    .isZero();
        }

        @Test
        void theChannelItselfCanBeTheEntryPoint() {
            ConnectionWriter writer =
                    new ConnectionWriter(channel, channel, ROOMY, overflows::incrementAndGet, dropped::add);
            unwritable();
            writer.offer(frame("a"));
            writable();
            writer.offer(frame("b"));
            channel.runPendingTasks();
            writer.offer(frame("c"));
            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("a", "b", "c");
            assertThat(encoder.writes)
                    .as("frames entering at the tail pass every handler")
                    .isEqualTo(3);
        }
    }

    @Nested
    class Flushing {
        @Test
        void aBurstWrittenDirectlyCostsOneFlush() {
            ConnectionWriter writer = writer(ROOMY);

            offerAll(writer, names("m", 50));

            assertThat(wire.written).hasSize(50);
            assertThat(wire.flushes).isZero();
            channel.runPendingTasks();
            assertThat(wire.flushes).isEqualTo(1);
            assertThat(onTheWire()).containsExactlyElementsOf(names("m", 50));
        }

        @Test
        void aQueuedBurstDrainedAtOnceCostsOneFlush() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            offerAll(writer, names("m", 50));
            writable();

            channel.runPendingTasks();

            assertThat(wire.written).hasSize(50);
            assertThat(wire.flushes).isEqualTo(1);
            assertThat(onTheWire()).containsExactlyElementsOf(names("m", 50));
        }

        @Test
        void aDrainWithNothingToWriteDoesNotFlush() {
            ConnectionWriter writer = writer(ROOMY);

            writer.run();
            writer.schedule();
            channel.runPendingTasks();

            assertThat(wire.flushes).isZero();
        }
    }

    @Nested
    class Writability {
        @Test
        void anUnwritableChannelKeepsFramesQueued() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b"));

            channel.runPendingTasks();

            assertThat(wire.written).isEmpty();
            assertThat(wire.flushes).isZero();
            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isEqualTo(1));
        }

        @Test
        void aDrainAfterTheChannelBecameWritableWritesWhatWaited() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            offerAll(writer, List.of("a", "b", "c"));
            channel.runPendingTasks();
            assertThat(wire.written).isEmpty();

            writable();
            writer.schedule();
            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("a", "b", "c");
            assertThat(wire.flushes).isEqualTo(1);
        }

        @Test
        void theDrainStopsWhenTheChannelTurnsUnwritableAndFlushesWhatItWrote() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            offerAll(writer, List.of("a", "b", "c", "d", "e"));
            writable();
            wire.unwritableAfter = 2;

            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("a", "b");
            assertThat(wire.flushes).isEqualTo(1);

            wire.unwritableAfter = Integer.MAX_VALUE;
            writable();
            writer.schedule();
            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("c", "d", "e");
            assertThat(wire.flushes).isEqualTo(2);
        }

        @Test
        void theWritabilityListenerResumesTheDrainWhenTheChannelBecomesWritable() {
            ConnectionWriter writer = writer(ROOMY);
            channel.pipeline().addLast(new WritabilityListener(writer));
            unwritable();
            offerAll(writer, List.of("a", "b"));
            channel.runPendingTasks();
            assertThat(wire.written).isEmpty();

            writable(); // fires channelWritabilityChanged as a task
            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("a", "b");
        }
    }

    @Nested
    class DisconnectPolicy {
        @Test
        void aQueueAtItsLimitDoesNotOverflow() {
            ConnectionWriter writer = writer(new QueueLimits(3, 1_000, SlowConsumerPolicy.DISCONNECT));
            unwritable();
            offerAll(writer, List.of("a", "b", "c"));
            writable();

            channel.runPendingTasks();

            assertThat(overflows).hasValue(0);
            assertThat(onTheWire()).containsExactly("a", "b", "c");
        }

        @Test
        void tooManyMessagesDiscardTheBacklogAndReportTheOverflowOnce() {
            ConnectionWriter writer = writer(new QueueLimits(3, 1_000, SlowConsumerPolicy.DISCONNECT));
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b", "c", "d"));
            assertThat(overflows)
                    .as("reported on the drain, not by the producer")
                    .hasValue(0);

            channel.runPendingTasks();

            assertThat(overflows).hasValue(1);
            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isZero());

            writable();
            writer.schedule();
            channel.runPendingTasks();
            writer.run();

            assertThat(overflows).hasValue(1);
            assertThat(wire.written).isEmpty();
            assertThat(wire.flushes).isZero();
        }

        @Test
        void tooManyBytesOverflowToo() {
            ConnectionWriter writer = writer(new QueueLimits(100, 5, SlowConsumerPolicy.DISCONNECT));
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("abc", "def"));

            channel.runPendingTasks();

            assertThat(overflows).hasValue(1);
            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isZero());
        }

        @Test
        void offersAfterTheOverflowAreReleasedAtOnce() {
            ConnectionWriter writer = writer(new QueueLimits(1, 1_000, SlowConsumerPolicy.DISCONNECT));
            unwritable();
            offerAll(writer, List.of("a", "b"));

            ByteBuf beforeTheDrain = frame("c");
            writer.offer(beforeTheDrain);
            assertThat(beforeTheDrain.refCnt()).isZero();

            channel.runPendingTasks();
            writable();
            ByteBuf afterTheDrain = frame("d");
            writer.offer(afterTheDrain);

            assertThat(afterTheDrain.refCnt()).isZero();
            channel.runPendingTasks();
            assertThat(wire.written).isEmpty();
            assertThat(overflows).hasValue(1);
        }

        @Test
        void framesWrittenDirectlyOnTheLoopDoNotCountAgainstTheLimits() {
            ConnectionWriter writer = writer(new QueueLimits(1, 1, SlowConsumerPolicy.DISCONNECT));

            offerAll(writer, names("m", 10));
            channel.runPendingTasks();

            assertThat(overflows).hasValue(0);
            assertThat(onTheWire()).containsExactlyElementsOf(names("m", 10));
        }
    }

    @Nested
    class DropOldestPolicy {
        @Test
        void theNewestFramesSurviveInOrderAndTheDroppedAreCounted() {
            ConnectionWriter writer = writer(new QueueLimits(3, 1_000, SlowConsumerPolicy.DROP_OLDEST));
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b", "c", "d", "e"));
            assertThat(frames)
                    .as("nothing is dropped by the producers")
                    .allSatisfy(f -> assertThat(f.refCnt()).isEqualTo(1));
            writable();

            channel.runPendingTasks();

            assertThat(dropped).containsExactly(2L);
            assertThat(frames.get(0).refCnt()).isZero();
            assertThat(frames.get(1).refCnt()).isZero();
            assertThat(onTheWire()).containsExactly("c", "d", "e");
            assertThat(wire.flushes).isEqualTo(1);
            assertThat(overflows).hasValue(0);
        }

        @Test
        void framesAreDroppedUntilTheBytesFitAgain() {
            ConnectionWriter writer = writer(new QueueLimits(100, 4, SlowConsumerPolicy.DROP_OLDEST));
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("aa", "bb", "cc"));
            writable();

            channel.runPendingTasks();

            assertThat(dropped).containsExactly(1L);
            assertThat(frames.get(0).refCnt()).isZero();
            assertThat(onTheWire()).containsExactly("bb", "cc");
        }

        @Test
        void theDrainDropsEvenWhileTheChannelStaysUnwritable() {
            ConnectionWriter writer = writer(new QueueLimits(2, 1_000, SlowConsumerPolicy.DROP_OLDEST));
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b", "c", "d"));

            channel.runPendingTasks();

            assertThat(dropped).containsExactly(2L);
            assertThat(frames.subList(0, 2))
                    .allSatisfy(f -> assertThat(f.refCnt()).isZero());
            assertThat(frames.subList(2, 4))
                    .allSatisfy(f -> assertThat(f.refCnt()).isEqualTo(1));
            assertThat(wire.written).isEmpty();

            writable();
            writer.schedule();
            channel.runPendingTasks();

            assertThat(onTheWire()).containsExactly("c", "d");
            assertThat(dropped).containsExactly(2L);
        }

        @Test
        void aQueueWithinItsLimitsDropsNothing() {
            ConnectionWriter writer = writer(new QueueLimits(3, 1_000, SlowConsumerPolicy.DROP_OLDEST));
            unwritable();
            offerAll(writer, List.of("a", "b", "c"));
            writable();

            channel.runPendingTasks();

            assertThat(dropped).isEmpty();
            assertThat(onTheWire()).containsExactly("a", "b", "c");
        }
    }

    @Nested
    class Closing {
        @Test
        void closeReleasesTheQueuedFramesWithoutWritingThem() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b", "c"));
            writable();

            writer.close();
            channel.runPendingTasks();

            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isZero());
            assertThat(wire.written).isEmpty();
            assertThat(wire.flushes).isZero();
        }

        @Test
        void offersAfterCloseAreReleasedAtOnce() {
            ConnectionWriter writer = writer(ROOMY);
            writer.close();

            ByteBuf late = frame("late");
            writer.offer(late);

            assertThat(late.refCnt()).isZero();
            channel.runPendingTasks();
            assertThat(wire.written).isEmpty();
        }

        @Test
        void aDrainAfterTheChannelClosedReleasesWhatWaits() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b"));

            channel.close(); // EmbeddedChannel runs the pending drain first, while the channel is still active
            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isEqualTo(1));
            writer.schedule();
            channel.runPendingTasks();

            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isZero());
            assertThat(wire.written).isEmpty();
        }

        @Test
        void offersAfterTheChannelClosedAreReleasedByTheDrain() {
            ConnectionWriter writer = writer(ROOMY);
            channel.close();

            ByteBuf late = frame("late");
            writer.offer(late);
            channel.runPendingTasks();

            assertThat(late.refCnt()).isZero();
            assertThat(wire.written).isEmpty();
        }
    }

    @Nested
    class WhenDrained {
        @Test
        void theActionRunsAtOnceWhenNothingWaits() {
            ConnectionWriter writer = writer(ROOMY);
            AtomicInteger runs = new AtomicInteger();

            writer.whenDrained(runs::incrementAndGet);

            assertThat(runs).hasValue(1);
        }

        @Test
        void framesWrittenDirectlyAreFlushedBeforeTheAction() {
            ConnectionWriter writer = writer(ROOMY);
            offerAll(writer, List.of("a", "b"));
            AtomicReference<List<String>> seen = new AtomicReference<>();

            writer.whenDrained(() -> seen.set(onTheWire()));

            assertThat(seen.get()).containsExactly("a", "b");
            assertThat(wire.flushes).isEqualTo(1);
        }

        @Test
        void theActionWaitsUntilEveryQueuedFrameWasWritten() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            offerAll(writer, List.of("a", "b", "c"));
            List<List<String>> seenByAction = new ArrayList<>();

            writer.whenDrained(() -> seenByAction.add(onTheWire()));
            channel.runPendingTasks();
            assertThat(seenByAction).isEmpty();

            writable();
            writer.schedule();
            channel.runPendingTasks();

            assertThat(seenByAction).containsExactly(List.of("a", "b", "c"));
        }

        @Test
        void anOverflowWhileWaitingStillRunsTheActionAfterReportingIt() {
            ConnectionWriter writer = writer(new QueueLimits(2, 1_000, SlowConsumerPolicy.DISCONNECT));
            unwritable();
            List<ByteBuf> frames = offerAll(writer, List.of("a", "b"));
            List<String> events = new ArrayList<>();
            writer.whenDrained(() -> events.add("drained after " + overflows.get() + " overflow"));
            assertThat(events).isEmpty();

            offerAll(writer, List.of("c"));
            channel.runPendingTasks();

            // A shutdown waiting to send its close frame is not left to the grace timer.
            assertThat(events).containsExactly("drained after 1 overflow");
            assertThat(frames).allSatisfy(f -> assertThat(f.refCnt()).isZero());
        }

        @Test
        void closingWhileWaitingRunsTheActionAndFlushesWhatWasWrittenDirectly() {
            ConnectionWriter writer = writer(ROOMY);
            offerAll(writer, List.of("a")); // written directly, flush still due
            unwritable();
            offerAll(writer, List.of("b"));
            AtomicInteger runs = new AtomicInteger();
            writer.whenDrained(runs::incrementAndGet);
            assertThat(runs).hasValue(0);

            writer.close();
            channel.runPendingTasks();

            assertThat(runs).hasValue(1);
            assertThat(onTheWire()).containsExactly("a");
            assertThat(wire.flushes).isEqualTo(1);
        }

        @Test
        void theActionWaitsForTheRestOfADrainCutShortByWritability() {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            offerAll(writer, List.of("a", "b", "c"));
            writable();
            wire.unwritableAfter = 1;
            List<List<String>> seenByAction = new ArrayList<>();

            writer.whenDrained(() -> seenByAction.add(onTheWire()));

            assertThat(seenByAction).isEmpty();
            assertThat(onTheWire()).containsExactly("a");

            wire.unwritableAfter = Integer.MAX_VALUE;
            writable();
            writer.schedule();
            channel.runPendingTasks();

            assertThat(seenByAction).containsExactly(List.of("b", "c"));
        }

        @Test
        void theActionRunsOnlyOnce() {
            ConnectionWriter writer = writer(ROOMY);
            AtomicInteger runs = new AtomicInteger();
            writer.whenDrained(runs::incrementAndGet);

            writer.offer(frame("later"));
            channel.runPendingTasks();
            writer.run();

            assertThat(runs).hasValue(1);
            assertThat(onTheWire()).containsExactly("later");
        }
    }

    @Nested
    class OtherThreads {
        /**
         * The embedded loop claims every thread as its own, so with nothing queued the producer takes
         * the direct path here; the frames still reach the wire only through the loop's drain.
         */
        @Test
        void offersFromAnotherThreadAreWrittenOnceTheLoopRunsItsTasks() throws InterruptedException {
            ConnectionWriter writer = writer(ROOMY);
            List<String> texts = names("t", 200);
            Thread producer = new Thread(() -> offerAll(writer, texts), "producer");

            producer.start();
            producer.join();

            assertThat(onTheWire())
                    .as("nothing is flushed before the loop runs")
                    .isEmpty();
            channel.runPendingTasks();
            assertThat(onTheWire()).containsExactlyElementsOf(texts);
            assertThat(wire.flushes).isEqualTo(1);
        }

        /** A frame already waiting forces the producer onto the queue, the path a real event loop takes. */
        @Test
        void offersFromAnotherThreadQueueBehindWaitingFramesAndAreDrainedInOrder() throws InterruptedException {
            ConnectionWriter writer = writer(ROOMY);
            unwritable();
            writer.offer(frame("first"));
            writable();
            List<String> texts = names("t", 200);
            Thread producer = new Thread(() -> offerAll(writer, texts), "producer");

            producer.start();
            producer.join();

            assertThat(wire.written).as("queued, not written by the producer").isEmpty();
            channel.runPendingTasks();
            List<String> expected = new ArrayList<>();
            expected.add("first");
            expected.addAll(texts);
            assertThat(onTheWire()).containsExactlyElementsOf(expected);
            assertThat(wire.flushes).isEqualTo(1);
        }

        @Test
        void concurrentProducersLoseNothingAndKeepTheirOwnOrder() throws InterruptedException {
            ConnectionWriter writer = writer(new QueueLimits(10_000, 1_000_000, SlowConsumerPolicy.DISCONNECT));
            unwritable();
            writer.offer(frame("first"));
            writable();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                List<String> texts = names("p" + p + "-", 250);
                producers.add(new Thread(() -> offerAll(writer, texts), "producer-" + p));
            }

            producers.forEach(Thread::start);
            for (Thread producer : producers) {
                producer.join();
            }
            channel.runPendingTasks();

            List<String> sent = onTheWire();
            assertThat(sent).hasSize(1 + 4 * 250).startsWith("first");
            for (int p = 0; p < 4; p++) {
                String prefix = "p" + p + "-";
                assertThat(sent.stream().filter(t -> t.startsWith(prefix)))
                        .containsExactlyElementsOf(names(prefix, 250));
            }
            AtomicInteger drained = new AtomicInteger();
            writer.whenDrained(drained::incrementAndGet);
            assertThat(drained).as("the writer counts nothing left waiting").hasValue(1);
        }
    }

    /** Stands for the WebSocket encoder: passes writes on, counting them. */
    private static final class Encoder extends ChannelOutboundHandlerAdapter {
        int writes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            writes++;
            ctx.write(msg, promise);
        }
    }

    /**
     * First in the pipeline, so outbound events reach it last; the end of the line, like a socket.
     * Records the text of every frame written and counts flushes; keeps the frames, which count as
     * sent once flushed. {@code unwritableAfter} turns the channel unwritable once that many frames
     * were written, like a socket whose buffer filled up.
     */
    private final class Wire extends ChannelOutboundHandlerAdapter {
        final List<String> written = new ArrayList<>();
        final Queue<ByteBuf> unflushed = new ArrayDeque<>();
        final Queue<ByteBuf> flushed = new ArrayDeque<>();
        int flushes;
        int unwritableAfter = Integer.MAX_VALUE;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ByteBuf frame = (ByteBuf) msg;
            written.add(frame.toString(UTF_8));
            unflushed.add(frame);
            promise.trySuccess();
            if (written.size() == unwritableAfter) {
                unwritable();
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            flushed.addAll(unflushed);
            unflushed.clear();
        }

        void releaseAll() {
            unflushed.forEach(ReferenceCountUtil::release);
            flushed.forEach(ReferenceCountUtil::release);
            unflushed.clear();
            flushed.clear();
        }
    }
}
