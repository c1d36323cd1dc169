package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The raw broadcast protocol over real loopback sockets. */
class RawProtocolIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private ServerFixture fixture = new ServerFixture();

    @AfterEach
    void stop() {
        fixture.close();
    }

    private void restart(ServerConfig config) {
        fixture.close();
        fixture = new ServerFixture(config);
    }

    private WsTestClient join(String path, String channel, int expectedSubscribers) throws IOException {
        WsTestClient client = WsTestClient.connect(fixture.port(), path);
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of(channel)) >= expectedSubscribers);
        return client;
    }

    @Nested
    class Broadcast {
        @Test
        void everyFrameReachesEveryClientOnTheChannelSenderIncludedAndNoneElsewhere() throws Exception {
            try (WsTestClient a = join("/ws/room", "room", 1);
                    WsTestClient b = join("/ws/room", "room", 2);
                    WsTestClient other = join("/ws/lobby", "lobby", 1)) {
                a.sendText("hello room");
                assertThat(a.readText()).isEqualTo("hello room");
                assertThat(b.readText()).isEqualTo("hello room");
                other.sendText("only lobby");
                assertThat(other.readText()).isEqualTo("only lobby");
                // b's next frame is a's second message, not the lobby's.
                a.sendText("second");
                assertThat(b.readText()).isEqualTo("second");
            }
        }

        @Test
        void bareWsPathIsTheDefaultChannel() throws Exception {
            try (WsTestClient a = join("/ws", "default", 1)) {
                a.sendText("hi");
                assertThat(a.readText()).isEqualTo("hi");
            }
        }

        @Test
        void binaryFramesStayBinaryAndUnchanged() throws Exception {
            byte[] payload = new byte[] {0, 1, 2, (byte) 0xFF, (byte) 0xC3};
            try (WsTestClient a = join("/ws/bin", "bin", 1)) {
                a.sendBinary(payload);
                WsTestClient.Frame frame = a.read();
                assertThat(frame.opcode()).isEqualTo(0x2);
                assertThat(frame.fin()).isTrue();
                assertThat(frame.payload()).containsExactly(payload);
            }
        }

        @Test
        void messagesFromOnePublisherArriveInOrder() throws Exception {
            try (WsTestClient pub = join("/ws/seq", "seq", 1);
                    WsTestClient sub = join("/ws/seq", "seq", 2)) {
                for (int i = 0; i < 2000; i++) {
                    pub.sendText("m" + i);
                }
                for (int i = 0; i < 2000; i++) {
                    assertThat(sub.readText()).isEqualTo("m" + i);
                }
            }
        }

        @Test
        void eightThreadsTimesTenThousandPublishesReachEverySubscriberCompleteAndInOrder() throws Exception {
            int threads = 8;
            int perThread = 10_000;
            restart(ServerConfig.DEFAULT.withQueueLimits(
                    new QueueLimits(threads * perThread, 64L << 20, SlowConsumerPolicy.DISCONNECT)));
            List<WsTestClient> subscribers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                subscribers.add(join("/ws/load", "load", i + 1));
            }
            ExecutorService readers = Executors.newFixedThreadPool(subscribers.size());
            List<Future<?>> checks = new ArrayList<>();
            for (WsTestClient sub : subscribers) {
                checks.add(readers.submit(() -> {
                    int[] next = new int[threads];
                    for (int n = 0; n < threads * perThread; n++) {
                        String[] parts = sub.readText().split(":");
                        int t = Integer.parseInt(parts[0]);
                        assertThat(Integer.parseInt(parts[1]))
                                .as("thread %d order", t)
                                .isEqualTo(next[t]++);
                    }
                    return null;
                }));
            }
            ExecutorService publishers = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            ChannelName load = ChannelName.of("load");
            for (int t = 0; t < threads; t++) {
                int thread = t;
                publishers.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        fixture.hub
                                .publish(load, (thread + ":" + i).getBytes(StandardCharsets.UTF_8), PayloadType.TEXT)
                                .subscribe();
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> check : checks) {
                check.get(120, TimeUnit.SECONDS);
            }
            publishers.shutdownNow();
            readers.shutdownNow();
            for (WsTestClient sub : subscribers) {
                sub.close();
            }
        }
    }

    @Nested
    class Disconnects {
        @Test
        void aCleanCloseLeavesNoSubscription() throws Exception {
            WsTestClient a = join("/ws/room", "room", 1);
            a.sendClose(1000);
            assertThat(a.readCloseCode()).isEqualTo(1000);
            a.close();
            await().atMost(WAIT).until(() -> fixture.hub.channelCount() == 0);
        }

        @Test
        void anAbruptDropLeavesNoSubscription() throws Exception {
            WsTestClient stays = join("/ws/room", "room", 1);
            WsTestClient drops = join("/ws/room", "room", 2);
            drops.abort();
            await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("room")) == 1);
            stays.sendText("still here");
            assertThat(stays.readText()).isEqualTo("still here");
            stays.close();
            await().atMost(WAIT).until(() -> fixture.hub.channelCount() == 0);
        }

        @Test
        void emptyChannelsAreEvicted() throws Exception {
            List<WsTestClient> clients = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                clients.add(join("/ws/ch" + i, "ch" + i, 1));
            }
            assertThat(fixture.hub.channelCount()).isEqualTo(50);
            for (WsTestClient c : clients) {
                c.close();
            }
            await().atMost(WAIT).until(() -> fixture.hub.channelCount() == 0);
        }

        @Test
        void aClientThatStopsReadingIsCutOffWhileTheOthersGetEverything() throws Exception {
            restart(ServerConfig.DEFAULT
                    .withQueueLimits(new QueueLimits(64, 256 * 1024, SlowConsumerPolicy.DISCONNECT))
                    .withCloseTimeout(Duration.ofMillis(500)));
            ChannelName room = ChannelName.of("room");
            WsTestClient stalled = WsTestClient.connect(fixture.port(), "/ws/room", 4096, true);
            WsTestClient reader = join("/ws/room", "room", 2);
            int total = 20_000; // well past what kernel buffers on both ends can absorb
            byte[] filler = new byte[1000];
            // The healthy reader paces the publisher (a window of 32 messages) so that only the
            // stalled client can overflow its queue.
            Semaphore window = new Semaphore(32);
            ExecutorService readerThread = Executors.newSingleThreadExecutor();
            Future<Integer> readCount = readerThread.submit(() -> {
                for (int i = 0; i < total; i++) {
                    WsTestClient.Frame frame = reader.read();
                    assertThat(frame.opcode()).isEqualTo(0x2);
                    assertThat(frame.payload()[0]).isEqualTo((byte) (i % 127));
                    window.release();
                }
                return total;
            });
            for (int i = 0; i < total; i++) {
                assertThat(window.tryAcquire(30, TimeUnit.SECONDS))
                        .as("reader keeps up")
                        .isTrue();
                byte[] payload = filler.clone();
                payload[0] = (byte) (i % 127);
                fixture.hub.publish(room, payload, PayloadType.BINARY).block(WAIT);
            }
            assertThat(readCount.get(60, TimeUnit.SECONDS)).isEqualTo(total);
            await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(room) == 1);
            // What the stalled client did get is an in-order prefix, then the close (or a cut connection).
            int expected = 0;
            while (true) {
                WsTestClient.Frame frame;
                try {
                    frame = stalled.read();
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the stalled client was never disconnected", e);
                } catch (IOException e) {
                    break;
                }
                if (frame.isClose()) {
                    assertThat(frame.closeCode()).isEqualTo(CloseCodes.SLOW_CONSUMER);
                    break;
                }
                assertThat(frame.payload()[0]).isEqualTo((byte) (expected++ % 127));
            }
            assertThat(expected).isLessThan(total);
            assertThat(WsTestClient.httpGet(fixture.port(), "/metrics", false))
                    .contains("hub_slow_consumer_disconnects_total 1.0");
            readerThread.shutdownNow();
            reader.close();
            stalled.close();
        }
    }

    @Nested
    class Http {
        @Test
        void anInvalidChannelNameIsRefusedWith400BeforeTheUpgrade() throws Exception {
            String response = WsTestClient.httpGet(fixture.port(), "/ws/bad*name", true);
            assertThat(response).startsWith("HTTP/1.1 400").contains("invalid channel name");
        }

        @Test
        void aPlainGetIsAnswered426() throws Exception {
            assertThat(WsTestClient.httpGet(fixture.port(), "/ws", false)).startsWith("HTTP/1.1 426");
            assertThat(WsTestClient.httpGet(fixture.port(), "/hub", false)).startsWith("HTTP/1.1 426");
        }

        @Test
        void unknownPathsAre404() throws Exception {
            assertThat(WsTestClient.httpGet(fixture.port(), "/nope", true)).startsWith("HTTP/1.1 404");
        }
    }
}
