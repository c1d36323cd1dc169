package io.reactivehub.server.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed attempts (wrong API keys) per remote address in a fixed window: past {@code max} failures
 * in one window the address is refused until the window ends. Bounded: at most {@code maxAddresses}
 * addresses are tracked; when full, finished windows are dropped, and while it stays full of live
 * windows failures of further addresses are not remembered. Thread-safe.
 */
final class FailureThrottle {
    private record Window(long start, int failures) {}

    private final int max;
    private final long windowNanos;
    private final int maxAddresses;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    FailureThrottle(int max, Duration window, int maxAddresses) {
        this.max = max;
        this.windowNanos = window.toNanos();
        this.maxAddresses = maxAddresses;
    }

    /** Whether {@code ip} has failed too often in its current window. */
    boolean blocked(String ip) {
        Window w = windows.get(ip);
        return w != null && w.failures() >= max && System.nanoTime() - w.start() < windowNanos;
    }

    /** Counts a failure of {@code ip}. */
    void failed(String ip) {
        long now = System.nanoTime();
        if (windows.size() >= maxAddresses && !windows.containsKey(ip)) {
            windows.values().removeIf(w -> now - w.start() >= windowNanos);
            if (windows.size() >= maxAddresses) {
                return; // full of live windows: nothing more is remembered
            }
        }
        windows.compute(
                ip,
                (k, w) -> w == null || now - w.start() >= windowNanos
                        ? new Window(now, 1)
                        : new Window(w.start(), w.failures() + 1));
    }
}
