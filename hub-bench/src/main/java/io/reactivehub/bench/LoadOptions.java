package io.reactivehub.bench;

import java.net.URI;
import java.time.Duration;

/**
 * What one load run does: where it connects, how many subscribers and publishers, the rate and
 * size of messages, how long it warms up and measures, and the protocol.
 */
record LoadOptions(
        URI url,
        int subscribers,
        int publishers,
        int rate,
        int size,
        Duration warmup,
        Duration duration,
        int window,
        int connectConcurrency,
        int threads,
        int serverPid,
        String label,
        boolean hubProtocol,
        String channel,
        int churnPerSecond,
        boolean deflate,
        URI publishUrl) {
    /** Publishers and subscribers on the same server. */
    LoadOptions(
            URI url,
            int subscribers,
            int publishers,
            int rate,
            int size,
            Duration warmup,
            Duration duration,
            int window,
            int connectConcurrency,
            int threads,
            int serverPid,
            String label,
            boolean hubProtocol,
            String channel,
            int churnPerSecond,
            boolean deflate) {
        this(
                url,
                subscribers,
                publishers,
                rate,
                size,
                warmup,
                duration,
                window,
                connectConcurrency,
                threads,
                serverPid,
                label,
                hubProtocol,
                channel,
                churnPerSecond,
                deflate,
                url);
    }
}
