package io.reactivehub.server.session;

import java.util.ArrayDeque;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * One connection's asynchronous steps that must run one after the other, in the order offered (a
 * client's publishes through the publish hook: each waits for the one before, so the hook's
 * latency never reorders them). Bounded: past {@code max} waiting steps, {@link #offer} refuses.
 * Thread-safe.
 */
public final class CallQueue {
    private final int max;
    private final ArrayDeque<Supplier<Mono<?>>> waiting = new ArrayDeque<>(4);
    private boolean running;

    public CallQueue(int max) {
        this.max = max;
    }

    /**
     * Runs {@code step} once every step offered before it ended (completed or failed).
     *
     * @return false, and nothing queued, when {@code max} steps wait already
     */
    public boolean offer(Supplier<Mono<?>> step) {
        synchronized (this) {
            if (waiting.size() >= max) {
                return false;
            }
            waiting.add(step);
            if (running) {
                return true;
            }
            running = true;
        }
        runNext();
        return true;
    }

    private void runNext() {
        Supplier<Mono<?>> next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                running = false;
                return;
            }
        }
        Mono<?> step;
        try {
            step = next.get();
        } catch (RuntimeException e) {
            step = Mono.error(e);
        }
        step.subscribe(null, e -> runNext(), this::runNext);
    }
}
