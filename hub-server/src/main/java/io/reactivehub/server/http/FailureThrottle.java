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
    private volatile long lastSweep = System.nanoTime() - 1_000_000_000L;

    /** An IPv6 address counts by its /64 (one host usually holds the whole prefix); IPv4 as is. */
    static String key(String ip) {
        if (ip.indexOf(':') < 0) {
            return ip;
        }
        String[] groups = ip.split(":", -1);
        return groups.length >= 8 ? String.join(":", groups[0], groups[1], groups[2], groups[3]) + "::/64" : ip;
    }

    FailureThrottle(int max, Duration window, int maxAddresses) {
        this.max = max;
        this.windowNanos = window.toNanos();
        this.maxAddresses = maxAddresses;
    }

    /** Whether {@code ip} has failed too often in its current window. */
    boolean blocked(String ip) {
        Window w = windows.get(key(ip));
        return w != null && w.failures() >= max && System.nanoTime() - w.start() < windowNanos;
    }

    /** Counts a failure of {@code ip}. */
    void failed(String ip) {
        long now = System.nanoTime();
        String key = key(ip);
        if (windows.size() >= maxAddresses && !windows.containsKey(key)) {
            // Finished windows are dropped at most once a second, not on every request.
            long last = lastSweep;
            if (now - last >= 1_000_000_000L) {
                lastSweep = now;
                windows.values().removeIf(w -> now - w.start() >= windowNanos);
            }
            if (windows.size() >= maxAddresses) {
                return; // full of live windows: nothing more is remembered
            }
        }
        windows.compute(
                key,
                (k, w) -> w == null || now - w.start() >= windowNanos
                        ? new Window(now, 1)
                        : new Window(w.start(), w.failures() + 1));
    }
}
