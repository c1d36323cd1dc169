package io.reactivehub.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.SubscribeResult;
import io.reactivehub.core.testing.Recorder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class RecoveryBufferTest {
    private static final ChannelName CHANNEL = ChannelName.of("c");
    private static final String EPOCH = "e1";

    private final Recorder target = new Recorder();

    private static Message message(long offset) {
        return new Message(CHANNEL, offset, EPOCH, ("m" + offset).getBytes(StandardCharsets.UTF_8), PayloadType.TEXT);
    }

    /** The history as a broker reports it: where the stream stands, and the messages it still holds. */
    private static HistoryResult history(long top, String epoch, long... offsets) {
        List<Message> messages = new ArrayList<>();
        for (long offset : offsets) {
            messages.add(message(offset));
        }
        return new HistoryResult(new StreamPosition(top, epoch), messages);
    }

    private static HistoryResult history(long top, long... offsets) {
        return history(top, EPOCH, offsets);
    }

    private RecoveryBuffer buffer(@Nullable StreamPosition recover) {
        return new RecoveryBuffer(target, recover, LocalHub.MAX_HELD);
    }

    private static void offer(RecoveryBuffer buffer, long... offsets) {
        for (long offset : offsets) {
            buffer.onMessage(message(offset));
        }
    }

    @Nested
    class PlainSubscription {
        private final RecoveryBuffer buffer = buffer(null);

        @Test
        void holdsLiveMessagesUntilReleased() {
            offer(buffer, 4, 5);

            assertThat(target.messages).isEmpty();
            assertThat(target.subscribed.get()).isNull();
        }

        @Test
        void subscribedComesFirstNotRecoveredAtTheTopOfTheStream() {
            offer(buffer, 4, 5);

            buffer.release(history(3));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(3, EPOCH), false));
            assertThat(target.messagesBeforeSubscribed.get()).isZero();
        }

        @Test
        void heldMessagesFollowInArrivalOrderThenLiveOnesPassStraightThrough() {
            offer(buffer, 4, 5, 6);

            buffer.release(history(3));
            assertThat(target.offsets()).containsExactly(4L, 5L, 6L);

            offer(buffer, 7);
            assertThat(target.offsets()).containsExactly(4L, 5L, 6L, 7L);
            assertThat(target.texts()).containsExactly("m4", "m5", "m6", "m7");
        }

        @Test
        void dropsNothingEvenWhatTheTopAlreadyCounts() {
            // Without a recovery there is no replay, so nothing can be a duplicate.
            offer(buffer, 2, 3, 4);

            buffer.release(history(3));
            offer(buffer, 3, 5);

            assertThat(target.offsets()).containsExactly(2L, 3L, 4L, 3L, 5L);
        }

        @Test
        void ignoresTheHistoryMessagesItIsHanded() {
            offer(buffer, 4);

            buffer.release(history(3, 1, 2, 3));

            assertThat(target.subscribed.get().recovered()).isFalse();
            assertThat(target.offsets()).containsExactly(4L);
        }

        @Test
        void withNothingHeldOnlyTheSubscribedResultIsDelivered() {
            buffer.release(history(0));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(0, EPOCH), false));
            assertThat(target.messages).isEmpty();
        }
    }

    @Nested
    class RecoveryThatSucceeds {
        @Test
        void replaysTheMissedMessagesAfterSubscribedAndBeforeTheHeldOnes() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            offer(buffer, 6, 7);

            buffer.release(history(5, 3, 4, 5));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(5, EPOCH), true));
            assertThat(target.messagesBeforeSubscribed.get()).isZero();
            assertThat(target.offsets()).containsExactly(3L, 4L, 5L, 6L, 7L);
        }

        @Test
        void heldMessagesTheHistoryAlreadyHadAreDropped() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            offer(buffer, 4, 5, 6);

            buffer.release(history(5, 3, 4, 5));

            assertThat(target.offsets()).containsExactly(3L, 4L, 5L, 6L).doesNotHaveDuplicates();
        }

        @Test
        void lateLiveMessagesUpToTheTopAreDroppedAfterRelease() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            buffer.release(history(5, 3, 4, 5));

            offer(buffer, 4, 5, 6, 7);

            assertThat(target.offsets()).containsExactly(3L, 4L, 5L, 6L, 7L);
        }

        @Test
        void afterAnInterruptionANewNumberingFromOneIsDeliveredInFull() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            buffer.release(history(5, 3, 4, 5));

            // The broker lost the channel: a new epoch numbers from 1 again, announced first.
            buffer.onInterrupted();
            offer(buffer, 1, 2, 3);

            assertThat(target.interruptions).hasValue(1);
            assertThat(target.offsets()).containsExactly(3L, 4L, 5L, 1L, 2L, 3L);
        }

        @Test
        void nothingMissedMeansRecoveredWithoutReplay() {
            RecoveryBuffer buffer = buffer(new StreamPosition(5, EPOCH));
            offer(buffer, 6, 7);

            buffer.release(history(5));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(5, EPOCH), true));
            assertThat(target.messagesBeforeSubscribed.get()).isZero();
            assertThat(target.offsets()).containsExactly(6L, 7L);
        }

        @Test
        void nothingMissedStillDropsLiveMessagesUpToTheTop() {
            RecoveryBuffer buffer = buffer(new StreamPosition(5, EPOCH));
            offer(buffer, 5, 6);

            buffer.release(history(5));
            offer(buffer, 5, 7);

            assertThat(target.offsets()).containsExactly(6L, 7L);
        }

        @Test
        void recoveringAnEmptyChannelFromTheStartIsRecovered() {
            RecoveryBuffer buffer = buffer(new StreamPosition(0, EPOCH));
            offer(buffer, 1);

            buffer.release(history(0));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(0, EPOCH), true));
            assertThat(target.offsets()).containsExactly(1L);
        }
    }

    @Nested
    class RecoveryThatIsRefused {
        @Test
        void whenTheEpochChangedEveryHeldMessageIsDeliveredWithoutReplay() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, "e0"));
            offer(buffer, 4, 5, 6);

            buffer.release(history(5, EPOCH, 3, 4, 5));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(5, EPOCH), false));
            assertThat(target.messagesBeforeSubscribed.get()).isZero();
            assertThat(target.offsets()).containsExactly(4L, 5L, 6L);
        }

        @Test
        void whenTheEpochChangedLiveMessagesUpToTheTopAreNotDropped() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, "e0"));
            buffer.release(history(5, EPOCH, 3, 4, 5));

            offer(buffer, 5, 6);

            assertThat(target.offsets()).containsExactly(5L, 6L);
        }

        @Test
        void whenTheHistoryNoLongerReachesBackToTheClientsPosition() {
            RecoveryBuffer buffer = buffer(new StreamPosition(1, EPOCH));
            offer(buffer, 5, 6);

            // Offset 2 is gone: the history starts at 3.
            buffer.release(history(5, 3, 4, 5));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(5, EPOCH), false));
            assertThat(target.offsets()).containsExactly(5L, 6L);
        }

        @Test
        void whenTheHistoryIsEmptyThoughMessagesWereMissed() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            offer(buffer, 6);

            buffer.release(history(5));

            assertThat(target.subscribed.get().recovered()).isFalse();
            assertThat(target.offsets()).containsExactly(6L);
        }

        @Test
        void whenTheHistoryStopsShortOfTheTop() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            offer(buffer, 6);

            buffer.release(history(5, 3, 4));

            assertThat(target.subscribed.get().recovered()).isFalse();
            assertThat(target.offsets()).containsExactly(6L);
        }

        @Test
        void whenTheClientIsAheadOfTheStream() {
            RecoveryBuffer buffer = buffer(new StreamPosition(9, EPOCH));
            offer(buffer, 6);

            buffer.release(history(5));

            assertThat(target.subscribed.get()).isEqualTo(new SubscribeResult(new StreamPosition(5, EPOCH), false));
            assertThat(target.offsets()).containsExactly(6L);
        }
    }

    @Nested
    class OtherSignals {
        private final RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));

        @Test
        void presenceEventsPassStraightThroughWhileHolding() {
            PresenceEvent joined = new PresenceEvent(true, new ClientInfo("client-1", "alice"));
            offer(buffer, 3);

            buffer.onPresence(joined);

            assertThat(target.events).containsExactly(joined);
            assertThat(target.messages).isEmpty();
        }

        @Test
        void anInterruptionWhileHoldingComesAfterTheSubscribeResultInLineWithTheMessages() {
            List<String> seen = new ArrayList<>();
            RecoveryBuffer ordered = new RecoveryBuffer(
                    new ChannelListener() {
                        @Override
                        public void onMessage(Message message) {
                            seen.add("m" + message.offset());
                        }

                        @Override
                        public void onSubscribed(SubscribeResult result) {
                            seen.add("subscribed");
                        }

                        @Override
                        public void onInterrupted() {
                            seen.add("interrupted");
                        }
                    },
                    new StreamPosition(2, EPOCH),
                    LocalHub.MAX_HELD);
            offer(ordered, 3);
            ordered.onInterrupted();
            offer(ordered, 1, 2);
            assertThat(seen).isEmpty();

            ordered.release(history(3, 3));

            // Offsets 1 and 2 come after the interruption: a new numbering, delivered in full.
            assertThat(seen).containsExactly("subscribed", "m3", "interrupted", "m1", "m2");
        }

        @Test
        void presenceAndInterruptionsPassThroughAfterReleaseToo() {
            PresenceEvent left = new PresenceEvent(false, new ClientInfo("client-1", null));
            buffer.release(history(2));

            buffer.onPresence(left);
            buffer.onInterrupted();

            assertThat(target.events).containsExactly(left);
            assertThat(target.interruptions).hasValue(1);
        }

        @Test
        void closePassesThroughWhileHoldingAndAfterRelease() {
            AtomicInteger closes = new AtomicInteger();
            RecoveryBuffer closing = new RecoveryBuffer(
                    new ChannelListener() {
                        @Override
                        public void onMessage(Message message) {}

                        @Override
                        public void onClose() {
                            closes.incrementAndGet();
                        }
                    },
                    null,
                    LocalHub.MAX_HELD);

            closing.onClose();
            assertThat(closes).hasValue(1);

            closing.release(history(0));
            closing.onClose();
            assertThat(closes).hasValue(2);
        }
    }

    @Nested
    class Release {
        @Test
        void twiceIsAnError() {
            RecoveryBuffer buffer = buffer(new StreamPosition(2, EPOCH));
            offer(buffer, 4);
            buffer.release(history(3, 3));

            assertThatThrownBy(() -> buffer.release(history(3, 3))).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void aSecondReleaseDeliversNothingMore() {
            RecoveryBuffer buffer = buffer(null);
            offer(buffer, 4);
            buffer.release(history(3));
            SubscribeResult first = target.subscribed.get();

            assertThatThrownBy(() -> buffer.release(history(9, 8, 9))).isInstanceOf(IllegalStateException.class);

            assertThat(target.subscribed.get()).isSameAs(first);
            assertThat(target.offsets()).containsExactly(4L);
        }
    }

    @Nested
    class Concurrency {
        private static final int HELD_BEFORE_RELEASE = 200;
        private static final int LIVE_AFTER_RELEASE = 200;
        /** A safety stop for the publishing thread should the releasing one never finish. */
        private static final long MAX_OFFSET = 5_000_000;
        /** The publisher may run far ahead of the release: these races are about order, not bounds. */
        private static final int UNBOUNDED = Integer.MAX_VALUE;

        /** Records offsets in the order the target is handed them, from whichever thread. */
        private final class Offsets implements ChannelListener {
            final List<Long> seen = new ArrayList<>();
            final AtomicReference<SubscribeResult> subscribed = new AtomicReference<>();
            final AtomicInteger seenBeforeSubscribed = new AtomicInteger(-1);

            @Override
            public synchronized void onMessage(Message message) {
                seen.add(message.offset());
            }

            @Override
            public synchronized void onSubscribed(SubscribeResult result) {
                seenBeforeSubscribed.set(seen.size());
                subscribed.set(result);
            }

            synchronized List<Long> seen() {
                return List.copyOf(seen);
            }
        }

        /**
         * One thread publishes increasing offsets 1, 2, 3, ... while another releases the buffer once
         * some are held; the publisher goes on until it has published past the release. Returns the
         * last offset published.
         */
        private long race(RecoveryBuffer buffer, HistoryResult history) throws Exception {
            CyclicBarrier start = new CyclicBarrier(2);
            CountDownLatch someHeld = new CountDownLatch(1);
            AtomicBoolean released = new AtomicBoolean();
            AtomicReference<Throwable> releaseFailure = new AtomicReference<>();
            long[] last = new long[1];

            Thread publisher = new Thread(
                    () -> {
                        try {
                            start.await();
                            long afterRelease = 0;
                            for (long offset = 1; offset <= MAX_OFFSET; offset++) {
                                boolean wasReleased = released.get();
                                buffer.onMessage(message(offset));
                                last[0] = offset;
                                if (offset == HELD_BEFORE_RELEASE) {
                                    someHeld.countDown();
                                }
                                if (wasReleased && ++afterRelease >= LIVE_AFTER_RELEASE) {
                                    break;
                                }
                            }
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    "publisher");
            Thread releaser = new Thread(
                    () -> {
                        try {
                            start.await();
                            someHeld.await();
                            buffer.release(history);
                        } catch (Throwable e) {
                            releaseFailure.set(e);
                        } finally {
                            released.set(true);
                        }
                    },
                    "releaser");

            publisher.start();
            releaser.start();
            releaser.join(TimeUnit.SECONDS.toMillis(60));
            publisher.join(TimeUnit.SECONDS.toMillis(60));

            assertThat(releaser.isAlive()).as("releaser finished").isFalse();
            assertThat(publisher.isAlive()).as("publisher finished").isFalse();
            assertThat(releaseFailure.get()).isNull();
            assertThat(last[0]).isGreaterThan(HELD_BEFORE_RELEASE).isLessThan(MAX_OFFSET);
            return last[0];
        }

        @RepeatedTest(20)
        void aPlainSubscriptionSeesEveryOffsetOnceInOrderWhileReleaseRaces() throws Exception {
            Offsets offsets = new Offsets();
            RecoveryBuffer buffer = new RecoveryBuffer(offsets, null, UNBOUNDED);

            long last = race(buffer, history(0));

            assertThat(offsets.seenBeforeSubscribed).hasValue(0);
            assertThat(offsets.subscribed.get().recovered()).isFalse();
            assertThat(offsets.seen())
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, last).boxed().toList());
        }

        @RepeatedTest(20)
        void aRecoverySeesEveryOffsetOnceInOrderWhileReleaseRaces() throws Exception {
            Offsets offsets = new Offsets();
            RecoveryBuffer buffer = new RecoveryBuffer(offsets, new StreamPosition(0, EPOCH), UNBOUNDED);
            long top = HELD_BEFORE_RELEASE / 2;

            long last = race(buffer, history(top, LongStream.rangeClosed(1, top).toArray()));

            assertThat(offsets.seenBeforeSubscribed).hasValue(0);
            assertThat(offsets.subscribed.get().recovered()).isTrue();
            assertThat(offsets.seen())
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, last).boxed().toList());
        }
    }

    @Nested
    class Bounded {
        @Test
        void pastTheLimitHeldMessagesGiveWayToAnInterruption() {
            RecoveryBuffer small = new RecoveryBuffer(target, new StreamPosition(2, EPOCH), 3);
            offer(small, 3, 4, 5, 6, 7);

            small.release(history(5, 3, 4, 5));

            assertThat(target.subscribed.get().recovered()).isTrue();
            assertThat(target.messages).extracting(Message::offset).containsExactly(3L, 4L, 5L);
            assertThat(target.interruptions)
                    .as("6 and 7 were dropped: the listener is told")
                    .hasValue(1);
            offer(small, 8);
            assertThat(target.messages).extracting(Message::offset).containsExactly(3L, 4L, 5L, 8L);
        }

        @Test
        void withinTheLimitNothingIsDropped() {
            RecoveryBuffer small = new RecoveryBuffer(target, null, 3);
            offer(small, 4, 5, 6);

            small.release(history(3));

            assertThat(target.messages).extracting(Message::offset).containsExactly(4L, 5L, 6L);
            assertThat(target.interruptions).hasValue(0);
        }
    }
}
