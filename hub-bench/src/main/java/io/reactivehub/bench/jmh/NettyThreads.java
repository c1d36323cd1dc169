package io.reactivehub.bench.jmh;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads as Netty {@code FastThreadLocalThread}s, like a server's event loops
 * (selected with {@code -Djmh.executor=CUSTOM -Djmh.executor.class=}this class): Netty's
 * {@code Recycler} pools objects only on such threads, so a benchmark that stands in for event loops
 * should run on one to allocate what the loops allocate.
 */
public final class NettyThreads extends ThreadPoolExecutor {
    /** The constructor JMH calls: the number of worker threads and their name prefix. */
    public NettyThreads(int threads, String prefix) {
        super(
                threads,
                threads,
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
