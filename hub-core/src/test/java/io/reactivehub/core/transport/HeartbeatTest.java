package io.reactivehub.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Heartbeat schedules its check on the channel's executor but measures silence with
 * {@link System#nanoTime()}. The tests therefore drive the schedule with the EmbeddedChannel's
 * frozen fake clock ({@code advanceTimeBy} + {@code runScheduledPendingTasks}: a check runs exactly
 * when a test says so) and let real time pass, by waiting on {@code System.nanoTime()}, whenever a
 * check has to see a silence. Silences a check must NOT see are bounded by real elapsed time measured
 * around the check, and the attempt is repeated in the rare case the machine stalled longer.
 */
class HeartbeatTest {
    /** Long enough that real time never reaches it during a test. */
    private static final Duration NEVER = Duration.ofHours(1);

    private final List<ChannelHandlerContext> timeouts = new CopyOnWriteArrayList<>();
    private EmbeddedChannel channel;

    /**
     * A channel whose fake clock is frozen before the heartbeat is added, so its first check is due
     * exactly {@code interval} of fake time later and one {@link #tick} runs exactly one check.
     */
    private void install(Duration interval, Duration timeout) {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast("heartbeat", new Heartbeat(interval, timeout, timeouts::add));
    }

    /** Moves the fake clock on by {@code by} and runs whatever check is then due. */
    private void tick(Duration by) {
        channel.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    /** Waits on the real clock (which Heartbeat measures silence with) until more than {@code d} has passed since {@code since}. */
    private static void realTimePasses(long since, Duration d) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(1))
                .until(() -> System.nanoTime() - since > d.toNanos());
    }

    /** Reads and releases every outbound message, counting the pings among them. */
    private int drainPings() {
        int pings = 0;
        Object out;
        while ((out = channel.readOutbound()) != null) {
            try {
                assertThat(out).isInstanceOf(PingWebSocketFrame.class);
                pings++;
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        return pings;
    }

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Nested
    class Construction {
        private final Consumer<ChannelHandlerContext> ignore = ctx -> {};

        @Test
        void rejectsAZeroInterval() {
            assertThatThrownBy(() -> new Heartbeat(Duration.ZERO, Duration.ofSeconds(1), ignore))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("interval");
        }

        @Test
        void rejectsANegativeInterval() {
            assertThatThrownBy(() -> new Heartbeat(Duration.ofSeconds(-1), Duration.ofSeconds(1), ignore))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("interval");
        }

        @Test
        void rejectsATimeoutEqualToTheInterval() {
            assertThatThrownBy(() -> new Heartbeat(Duration.ofSeconds(1), Duration.ofSeconds(1), ignore))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("timeout");
        }

        @Test
        void rejectsATimeoutShorterThanTheInterval() {
            assertThatThrownBy(() -> new Heartbeat(Duration.ofSeconds(2), Duration.ofSeconds(1), ignore))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("timeout");
        }

        @Test
        void rejectsAMissingTimeoutAction() {
            assertThatThrownBy(() -> new Heartbeat(Duration.ofSeconds(1), Duration.ofSeconds(2), null))
                    .isInstanceOf(NullPointerException.class);
        }

        @Test
        void acceptsATimeoutLongerThanTheInterval() {
            assertThatCode(() -> new Heartbeat(Duration.ofNanos(1), Duration.ofNanos(2), ignore))
                    .doesNotThrowAnyException();
        }
    }

    @Nested
    class Pinging {
        @Test
        void aSilentPeerIsPingedOnceTheIntervalHasPassed() {
            Duration interval = Duration.ofMillis(2);
            install(interval, NEVER);
            long added = System.nanoTime();
            realTimePasses(added, interval);

            tick(interval);

            assertThat(drainPings()).isEqualTo(1);
            assertThat(timeouts).isEmpty();
        }

        @Test
        void aStillSilentPeerIsPingedAgainAtEveryInterval() {
            Duration interval = Duration.ofMillis(2);
            install(interval, NEVER);
            realTimePasses(System.nanoTime(), interval);

            for (int i = 0; i < 3; i++) {
                tick(interval);
            }

            assertThat(drainPings()).isEqualTo(3);
            assertThat(timeouts).isEmpty();
        }

        @Test
        void nothingIsCheckedBeforeTheIntervalIsUpOnTheChannelsClock() {
            Duration interval = Duration.ofMillis(2);
            install(interval, Duration.ofMillis(4));
            realTimePasses(System.nanoTime(), Duration.ofMillis(4));

            // Real silence is past the timeout, but the channel's clock has not reached the first check.
            tick(interval.minusNanos(1));

            assertThat(drainPings()).isZero();
            assertThat(timeouts).isEmpty();
        }

        @Test
        void aPeerThatIsNotSilentIsNotPinged() {
            install(NEVER.minusMinutes(1), NEVER);

            tick(NEVER);

            assertThat(drainPings()).isZero();
            assertThat(timeouts).isEmpty();
        }
    }

    @Nested
    class InboundFrames {
        private static final Duration INTERVAL = Duration.ofMillis(50);

        @Test
        void arePassedOnUnchangedToTheNextHandler() {
            install(INTERVAL, NEVER);
            TextWebSocketFrame frame = new TextWebSocketFrame("hello");

            channel.writeInbound(frame);

            Object read = channel.readInbound();
            try {
                assertThat(read).isSameAs(frame);
                assertThat(frame.refCnt()).isEqualTo(1);
                assertThat(frame.text()).isEqualTo("hello");
            } finally {
                ReferenceCountUtil.release(read);
            }
        }

        @Test
        void resetTheSilenceSoAPeerThatSpeaksIsNotPinged() {
            install(INTERVAL, NEVER);
            long since = System.nanoTime();
            // Each round lets a full interval of real silence pass (without the frame that ends it the
            // check would ping), several intervals all told.
            for (int round = 0; round < 3; round++) {
                realTimePasses(since, INTERVAL);
                since = frameThenCheckExpectingNoPing(PongWebSocketFrame::new);
            }
        }

        @Test
        void resetTheSilenceSoAPeerThatSpeaksIsNeverTimedOut() {
            Duration timeout = INTERVAL.multipliedBy(2);
            install(INTERVAL, timeout);
            long added = System.nanoTime();
            long since = added;
            // Keep the peer talking until, all told, twice the timeout of real time has passed.
            while (System.nanoTime() - added <= timeout.toNanos() * 2) {
                realTimePasses(since, INTERVAL.dividedBy(2));
                since = frameThenCheckExpectingNoPing(() -> new TextWebSocketFrame("still here"));
            }
            assertThat(timeouts).isEmpty();
        }

        /**
         * Delivers a frame, runs the next check right after it and expects no ping. Real time is
         * measured around the two: only when less than an interval passed is the outcome conclusive
         * (the check then saw a silence shorter than the interval); after a stall of the whole machine
         * the attempt is repeated with a fresh frame. Returns a time after the frame was read.
         */
        private long frameThenCheckExpectingNoPing(Supplier<WebSocketFrame> frames) {
            for (int attempt = 0; ; attempt++) {
                long beforeRead = System.nanoTime();
                channel.writeInbound(frames.get());
                long afterRead = System.nanoTime();
                tick(INTERVAL);
                long afterCheck = System.nanoTime();
                ReferenceCountUtil.release(channel.readInbound());
                int pings = drainPings();
                if (afterCheck - beforeRead < INTERVAL.toNanos()) {
                    assertThat(pings).as("pings right after a frame").isZero();
                    return afterRead;
                }
                assertThat(attempt).as("attempts stalled past the interval").isLessThan(20);
            }
        }
    }

    @Nested
    class Timeout {
        private static final Duration INTERVAL = Duration.ofMillis(1);
        private static final Duration TIMEOUT = Duration.ofMillis(5);

        @Test
        void isCalledOnceWithTheChannelsContextPastTheTimeout() {
            install(INTERVAL, TIMEOUT);
            realTimePasses(System.nanoTime(), TIMEOUT);

            tick(INTERVAL);

            assertThat(timeouts).hasSize(1);
            assertThat(timeouts.get(0).channel()).isSameAs(channel);
            assertThat(timeouts.get(0).name()).isEqualTo("heartbeat");
            assertThat(drainPings()).as("no ping instead of the timeout").isZero();
        }

        @Test
        void stopsTheChecksNoMorePingsOrCallbacksFollow() {
            install(INTERVAL, TIMEOUT);
            realTimePasses(System.nanoTime(), TIMEOUT);
            tick(INTERVAL);

            for (int i = 0; i < 5; i++) {
                tick(INTERVAL);
            }

            assertThat(timeouts).hasSize(1);
            assertThat(drainPings()).isZero();
            assertThat(channel.runScheduledPendingTasks())
                    .as("nothing left scheduled")
                    .isEqualTo(-1);
        }

        @Test
        void leavesTheChannelToTheCallback() {
            install(INTERVAL, TIMEOUT);
            realTimePasses(System.nanoTime(), TIMEOUT);

            tick(INTERVAL);

            assertThat(timeouts).hasSize(1);
            assertThat(channel.isActive())
                    .as("the heartbeat itself closes nothing")
                    .isTrue();
        }

        @Test
        void aSilentPeerIsPingedBeforeItTimesOut() {
            Duration interval = Duration.ofMillis(2);
            Duration timeout = Duration.ofMillis(200);
            long beforeInstall = System.nanoTime();
            install(interval, timeout);
            long installed = System.nanoTime();
            realTimePasses(installed, interval);
            tick(interval);
            // The first check saw less than the timeout of silence unless the machine stalled for
            // most of it; only then is its ping certain (a stalled check times out instead).
            boolean checkedBeforeTheTimeout = System.nanoTime() - beforeInstall < timeout.toNanos();

            realTimePasses(installed, timeout);
            tick(interval);

            assertThat(timeouts).hasSize(1);
            int pings = drainPings();
            if (checkedBeforeTheTimeout) {
                assertThat(pings).isEqualTo(1);
            }
        }
    }

    @Nested
    class ChannelGoingAway {
        private static final Duration INTERVAL = Duration.ofMillis(1);
        private static final Duration TIMEOUT = Duration.ofMillis(3);

        @Test
        void inactiveCancelsTheChecks() {
            install(INTERVAL, TIMEOUT);

            channel.pipeline().fireChannelInactive();
            realTimePasses(System.nanoTime(), TIMEOUT);
            for (int i = 0; i < 5; i++) {
                tick(INTERVAL);
            }

            assertThat(timeouts).isEmpty();
            assertThat(drainPings()).isZero();
            assertThat(channel.runScheduledPendingTasks())
                    .as("nothing left scheduled")
                    .isEqualTo(-1);
        }

        @Test
        void inactiveIsPassedOnToTheNextHandler() {
            install(INTERVAL, TIMEOUT);
            List<String> seen = new CopyOnWriteArrayList<>();
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    seen.add("inactive");
                }
            });

            channel.pipeline().fireChannelInactive();

            assertThat(seen).containsExactly("inactive");
        }

        @Test
        void closingTheChannelMeansNoCallbackAfterwards() {
            install(INTERVAL, TIMEOUT);

            channel.close().syncUninterruptibly();
            realTimePasses(System.nanoTime(), TIMEOUT);
            for (int i = 0; i < 5; i++) {
                tick(INTERVAL);
            }

            assertThat(timeouts).isEmpty();
            assertThat(drainPings()).isZero();
        }

        @Test
        void removingTheHandlerCancelsTheChecks() {
            install(INTERVAL, TIMEOUT);

            channel.pipeline().remove("heartbeat");
            realTimePasses(System.nanoTime(), TIMEOUT);
            for (int i = 0; i < 5; i++) {
                tick(INTERVAL);
            }

            assertThat(timeouts).isEmpty();
            assertThat(drainPings()).isZero();
            assertThat(channel.runScheduledPendingTasks())
                    .as("nothing left scheduled")
                    .isEqualTo(-1);
        }
    }
}
