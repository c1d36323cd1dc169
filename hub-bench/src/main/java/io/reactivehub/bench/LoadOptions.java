package io.reactivehub.bench;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * What one load run does: where it connects, how many subscribers and publishers, the rate and
 * size of messages, how long it warms up and measures, and the protocol; optionally an idle hold
 * before publishing (the server's CPU and memory with every connection open and nothing sent) and
 * the local addresses connections come from (round robin: more source ports than one address has).
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
        URI publishUrl,
        Duration idleHold,
        List<InetAddress> bind) {
    /** No idle hold, connections from the default source address. */
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
            boolean deflate,
            URI publishUrl) {
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
                publishUrl,
                Duration.ZERO,
                List.of());
    }

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
