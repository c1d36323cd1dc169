package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.test.StepVerifier;

class LocalHubTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final Hub hub = Hub.create();
    private final ChannelName room = ChannelName.of("room");

    @AfterEach
    void tearDown() {
        hub.dispose();
    }

    @Nested
    class Publishing {
        @Test
        void publishToEmptyChannelReportsNoSubscribers() {
            StepVerifier.create(hub.publish("nobody", "hi"))
                    .assertNext(result -> {
                        assertThat(result.delivered()).isFalse();
                        assertThat(result).isEqualTo(PublishResult.NO_SUBSCRIBERS);
                    })
                    .verifyComplete();
            assertThat(hub.channelCount()).isZero();
        }

        @Test
        void subscriberReceivesMessagesInOrderWithIncreasingOffsets() {
            StepVerifier.create(hub.subscribe("room").take(3))
                    .then(() -> {
                        hub.publish("room", "a").block(TIMEOUT);
                        hub.publish("room", "b").block(TIMEOUT);
                        hub.publish("room", "c").block(TIMEOUT);
                    })
                    .assertNext(m -> assertThat(m.text()).isEqualTo("a"))
                    .assertNext(m -> assertThat(m.offset()).isEqualTo(2))
                    .assertNext(m -> {
                        assertThat(m.text()).isEqualTo("c");
                        assertThat(m.offset()).isEqualTo(3);
                        assertThat(m.channel()).isEqualTo(room);
                        assertThat(m.type()).isEqualTo(PayloadType.TEXT);
                    })
                    .expectComplete()
                    .verify(TIMEOUT);
        }

        @Test
        void publishReportsHowManySubscribersItReached() {
            Disposable a = hub.subscribe("room").subscribe();
            Disposable b = hub.subscribe("room").subscribe();
            Disposable other = hub.subscribe("other").subscribe();
            StepVerifier.create(hub.publish("room", "x"))
                    .assertNext(r -> assertThat(r.subscribers()).isEqualTo(2))
                    .verifyComplete();
            a.dispose();
            b.dispose();
            other.dispose();
        }

        @Test
        void messagesReachNoOtherChannel() {
            List<Message> other = new ArrayList<>();
            Disposable d = hub.subscribe("other").subscribe(other::add);
            hub.publish("room", "x").block(TIMEOUT);
            assertThat(other).isEmpty();
            d.dispose();
        }

        @Test
        void invalidChannelNamesFailWithInvalidChannel() {
            StepVerifier.create(hub.publish("bad name", "x"))
                    .expectErrorSatisfies(
                            e -> assertThat(((HubException) e).errorCode()).isEqualTo(ErrorCode.INVALID_CHANNEL))
                    .verify(TIMEOUT);
            StepVerifier.create(hub.subscribe("bad/name"))
                    .expectError(HubException.class)
                    .verify(TIMEOUT);
        }

        @Test
        void eightThreadsPublishingAtOnceLoseNothingAndKeepPerThreadOrder() throws Exception {
            int threads = 8;
            int perThread = 10_000;
            QueueLimits roomy = new QueueLimits(threads * perThread, Long.MAX_VALUE, SlowConsumerPolicy.DISCONNECT);
            List<List<Message>> received = new ArrayList<>();
            List<Disposable> subs = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                List<Message> box = Collections.synchronizedList(new ArrayList<>());
                received.add(box);
                subs.add(hub.subscribe(room, roomy).subscribe(box::add));
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int thread = t;
                pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        hub.publish(room, (thread + ":" + i).getBytes(StandardCharsets.UTF_8), PayloadType.TEXT)
                                .subscribe();
                    }
                    return null;
                });
            }
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            for (List<Message> box : received) {
                await().atMost(TIMEOUT).until(() -> box.size() == threads * perThread);
                int[] next = new int[threads];
                long lastOffset = 0;
                synchronized (box) {
                    for (Message m : box) {
                        String[] parts = m.text().split(":");
                        int thread = Integer.parseInt(parts[0]);
                        assertThat(Integer.parseInt(parts[1])).isEqualTo(next[thread]++);
                        assertThat(m.offset()).isEqualTo(lastOffset + 1);
                        lastOffset = m.offset();
                    }
                }
            }
            subs.forEach(Disposable::dispose);
        }
    }

    @Nested
    class ChannelLifecycle {
        @Test
        void channelExistsWhileItHasSubscribersAndIsRemovedAfterTheLast() {
            Disposable a = hub.subscribe("room").subscribe();
            Disposable b = hub.subscribe("room").subscribe();
            assertThat(hub.channelCount()).isEqualTo(1);
            assertThat(hub.subscriberCount(room)).isEqualTo(2);
            a.dispose();
            assertThat(hub.channelCount()).isEqualTo(1);
            b.dispose();
            assertThat(hub.channelCount()).isZero();
            assertThat(hub.subscriberCount(room)).isZero();
        }

        @Test
        void aMillionDistinctChannelsOverTimeLeaveNothingBehind() {
            for (int i = 0; i < 1_000_000; i++) {
                Disposable d = hub.subscribe(ChannelName.of("c" + i)).subscribe();
                d.dispose();
            }
            assertThat(hub.channelCount()).isZero();
        }

        @Test
        void disposingTheHubCompletesSubscribersAndRefusesPublishes() {
            StepVerifier.create(hub.subscribe("room"))
                    .then(hub::dispose)
                    .expectComplete()
                    .verify(TIMEOUT);
            StepVerifier.create(hub.publish("room", "late"))
                    .expectErrorSatisfies(
                            e -> assertThat(((HubException) e).errorCode()).isEqualTo(ErrorCode.HUB_CLOSED))
                    .verify(TIMEOUT);
        }
    }

    @Nested
    class SlowSubscribers {
        @Test
        void aSubscriberThatStopsReadingIsDisconnectedWhileOthersGetEverything() {
            QueueLimits small = new QueueLimits(16, 1 << 20, SlowConsumerPolicy.DISCONNECT);
            AtomicReference<Throwable> slowError = new AtomicReference<>();
            BaseSubscriber<Message> stalled = new BaseSubscriber<>() {
                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    // requests nothing: a consumer that stopped reading
                }

                @Override
                protected void hookOnError(Throwable t) {
                    slowError.set(t);
                }
            };
            hub.subscribe(room, small).subscribe(stalled);
            ConcurrentLinkedQueue<Message> fast = new ConcurrentLinkedQueue<>();
            Disposable d = hub.subscribe(room, new QueueLimits(2000, 1 << 20, SlowConsumerPolicy.DISCONNECT))
                    .subscribe(fast::add);
            for (int i = 0; i < 1000; i++) {
                hub.publish("room", "m" + i).block(TIMEOUT);
            }
            assertThat(fast).hasSize(1000);
            assertThat(slowError.get()).isInstanceOf(SlowConsumerException.class);
            assertThat(hub.subscriberCount(room)).isEqualTo(1);
            d.dispose();
        }

        @Test
        void dropOldestKeepsTheSubscriberAndTheNewestMessages() {
            QueueLimits small = new QueueLimits(10, 1 << 20, SlowConsumerPolicy.DROP_OLDEST);
            StepVerifier.create(hub.subscribe(room, small), 0)
                    .then(() -> {
                        for (int i = 0; i < 100; i++) {
                            hub.publish("room", "m" + i).block(TIMEOUT);
                        }
                    })
                    .thenRequest(10)
                    .expectNextMatches(m -> m.text().equals("m90") && m.offset() == 91)
                    .expectNextCount(9)
                    .thenCancel()
                    .verify(TIMEOUT);
        }
    }

    @Test
    void eachMessageIsEncodedOncePerCodecWhateverTheNumberOfSubscribers() {
        AtomicInteger encodes = new AtomicInteger();
        Codec codec = m -> {
            encodes.incrementAndGet();
            return Unpooled.wrappedBuffer(m.payload());
        };
        List<ByteBuf> seen = new ConcurrentLinkedQueue<ByteBuf>().stream().toList();
        List<ByteBuf> frames = Collections.synchronizedList(new ArrayList<>(seen));
        List<Disposable> listeners = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            listeners.add(hub.attach(room, m -> frames.add(m.encoded(codec))));
        }
        hub.publish("room", "once").block(TIMEOUT);
        assertThat(encodes).hasValue(1);
        assertThat(frames).hasSize(10).allSatisfy(f -> assertThat(f).isSameAs(frames.get(0)));
        listeners.forEach(Disposable::dispose);
        assertThat(hub.channelCount()).isZero();
    }
}
