package io.reactivehub.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * Which active channels {@link Hub#channels} lists: those matching a glob pattern ({@code *} any
 * run of characters, {@code ?} one character; every channel without one), with names after the
 * cursor, at most {@code limit}. Validated: the pattern and cursor are at most
 * {@value #MAX_TEXT} characters, the limit 1 to {@value #MAX_LIMIT}.
 */
public record ChannelQuery(
        @Nullable String pattern, @Nullable String cursor, int limit) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    public static final int MAX_TEXT = 512;

    public ChannelQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'limit' must be 1 to " + MAX_LIMIT);
        }
        if (pattern != null && (pattern.isEmpty() || pattern.length() > MAX_TEXT)) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'pattern' must be 1 to " + MAX_TEXT + " characters");
        }
        if (cursor != null && (cursor.isEmpty() || cursor.length() > MAX_TEXT)) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'cursor' must be 1 to " + MAX_TEXT + " characters");
        }
    }

    /** Whether the channel passes the pattern and comes after the cursor. */
    public boolean accepts(String channel) {
        return (cursor == null || channel.compareTo(cursor) > 0) && (pattern == null || glob(pattern, channel));
    }

    /**
     * This query's page of one node's channels (name to subscribers): the first {@code limit}
     * accepted names; the cursor is set when more were accepted. One pass, memory bounded by the limit.
     */
    public ChannelPage page(Map<String, ? extends Number> channels) {
        PriorityQueue<String> largestFirst = new PriorityQueue<>(limit + 1, (a, b) -> b.compareTo(a));
        boolean more = false;
        for (String name : channels.keySet()) {
            if (!accepts(name)) {
                continue;
            }
            largestFirst.add(name);
            if (largestFirst.size() > limit) {
                largestFirst.poll();
                more = true;
            }
        }
        List<ChannelPage.Entry> entries = new ArrayList<>(largestFirst.size());
        while (!largestFirst.isEmpty()) {
            String name = largestFirst.poll();
            Number n = channels.get(name);
            entries.add(0, new ChannelPage.Entry(name, n == null ? 0 : n.longValue()));
        }
        String next = more ? entries.get(entries.size() - 1).channel() : null;
        return new ChannelPage(entries, next, true);
    }

    /** Glob match without backtracking blow-up: linear in practice, O(n*m) at worst. */
    static boolean glob(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == text.charAt(t))) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
