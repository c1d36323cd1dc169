package io.reactivehub.server.session;

import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open sessions of one server, and how many come from each remote address. A session counts
 * from its upgrade until its TCP connection is closed, so a shutdown that waits for the registry
 * to empty knows every close frame was written. Thread-safe.
 */
public final class SessionRegistry {
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Integer> perIp = new ConcurrentHashMap<>();
    private final Object emptied = new Object();

    /** Open sessions now. */
    public int size() {
        return sessions.size();
    }

    /** A snapshot-free view of the open sessions (iteration sees concurrent changes or not). */
    public Collection<Session> sessions() {
        return Collections.unmodifiableSet(sessions);
    }

    /** Whether {@code ip} has fewer than {@code max} open sessions (checked before an upgrade). */
    public boolean ipHasRoom(String ip, int max) {
        Integer open = perIp.get(ip);
        return open == null || open < max;
    }

    void add(Session session, String ip) {
        if (sessions.add(session)) {
            perIp.merge(ip, 1, Integer::sum);
        }
    }

    void remove(Session session, String ip) {
        if (sessions.remove(session)) {
            perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
            synchronized (emptied) {
                emptied.notifyAll(); // a shutdown may be waiting for the last session
            }
        }
    }

    /** Blocks until no session is open or {@code timeout} passed; returns whether none is open. */
    public boolean awaitEmpty(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (emptied) {
            while (!sessions.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    emptied.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }
}
