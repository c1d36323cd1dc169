package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivehub.core.testing.LeakReports;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * What the fuzz tests watch in-process besides the replies: every ERROR logged anywhere (a
 * handler threw, the hub broke, or Netty reported a leak: the leak logger also reaches the root),
 * every WARN from Netty or Reactor Netty (an exception that reached the end of a pipeline), and
 * Netty's leak reports ({@link LeakReports}). {@code LeakCheckExtension} also checks for leaks
 * after the class; this check runs as the fuzz's last dynamic test, so a leak fails that test
 * (reports are drained on reading: the extension then finds nothing left to report twice).
 */
final class FuzzWatch implements AutoCloseable {
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

    FuzzWatch() {
        events.setName("fuzz-watch");
        events.start();
        root.addAppender(events);
        LeakReports.drain();
    }

    private static boolean alarming(ILoggingEvent event) {
        if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
            return true;
        }
        String logger = event.getLoggerName();
        return event.getLevel().isGreaterOrEqual(Level.WARN)
                && (logger.startsWith("io.netty") || logger.startsWith("reactor.netty"));
    }

    /** Fails if anything alarming was logged since the last check (cheap: call it after every try). */
    void assertNothingLogged(String after) {
        List<ILoggingEvent> bad;
        synchronized (events) {
            bad = events.list.stream().filter(FuzzWatch::alarming).collect(Collectors.toList());
            events.list.clear();
        }
        assertThat(bad)
                .as(
                        "logged after %s:%n%s",
                        after,
                        bad.stream()
                                .map(e -> e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
                                        + (e.getThrowableProxy() == null
                                                ? ""
                                                : " / " + e.getThrowableProxy().getClassName() + ": "
                                                        + e.getThrowableProxy().getMessage()))
                                .collect(Collectors.joining("\n")))
                .isEmpty();
    }

    /**
     * Fails if Netty reported a leaked buffer. Reports come when a tracked buffer has been collected
     * and the detector next tracks an allocation: collect, then allocate, a few times over. Costs
     * a few full GCs: call it once, after all tries.
     */
    void assertNoLeaks(String after) {
        List<String> reports = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            reports.addAll(leaksAfterGc());
        }
        assertThat(reports)
                .as("Netty leak reports after %s:%n%s", after, String.join("\n\n", reports))
                .isEmpty();
    }

    /** One full GC and one tracked allocation, then the leak reports so far. */
    List<String> leaksAfterGc() {
        System.gc();
        ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        probe.release();
        return LeakReports.drain();
    }

    /** Forgets what was logged so far (a test that provoked it on purpose). */
    void forget() {
        synchronized (events) {
            events.list.clear();
        }
    }

    @Override
    public void close() {
        root.detachAppender(events);
        events.stop();
    }
}
