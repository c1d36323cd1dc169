package io.reactivehub.server.session;

import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open sessions of one server, how many come from each remote address, and an index of them by
 * user id (for operations on a user's connections, and the per-user limit). A session counts from
 * its upgrade until its TCP connection is closed, so a shutdown that waits for the registry to
 * empty knows every close frame was written. The index holds an entry only while its user has an
 * open session here, each with at most the per-user limit of sessions: it is bounded by the number
 * of open sessions. Thread-safe.
 */
public final class SessionRegistry {
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Integer> perIp = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<Session>> byUser = new ConcurrentHashMap<>();
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

    /** The open sessions of {@code user} on this node, a snapshot; empty for none. */
    public List<Session> sessionsOf(String user) {
        Set<Session> of = byUser.get(user);
        return of == null ? List.of() : List.copyOf(of);
    }

    /** Users with at least one open session on this node. */
    public int users() {
        return byUser.size();
    }

    /**
     * Indexes an open session under its user, unless the user has {@code max} already: decided
     * atomically, so simultaneous connections of one user never overshoot.
     *
     * @return false when the user is at the limit (the session is not indexed)
     */
    boolean addUser(Session session, String user, int max) {
        boolean[] added = {false};
        byUser.compute(user, (k, of) -> {
            Set<Session> set = of == null ? ConcurrentHashMap.newKeySet() : of;
            if (set.size() < max) {
                added[0] = set.add(session);
            }
            return set.isEmpty() ? null : set;
        });
        return added[0];
    }

    private void removeUser(Session session) {
        String user = session.indexedUser();
        if (user != null) {
            byUser.computeIfPresent(user, (k, of) -> {
                of.remove(session);
                return of.isEmpty() ? null : of;
            });
        }
    }

    void add(Session session, String ip) {
        if (sessions.add(session)) {
            perIp.merge(ip, 1, Integer::sum);
        }
    }

    void remove(Session session, String ip) {
        if (sessions.remove(session)) {
            perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
            removeUser(session);
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
