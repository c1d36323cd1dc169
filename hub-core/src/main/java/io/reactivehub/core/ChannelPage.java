package io.reactivehub.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One page of active channels with their subscriber counts, in name order ({@link Hub#channels}).
 *
 * @param channels at most the query's limit, ordered by name
 * @param cursor   pass it as the next query's cursor to get the next page; null on the last page
 * @param complete false when some node did not answer in time (its channels are missing)
 */
public record ChannelPage(List<Entry> channels, @Nullable String cursor, boolean complete) {
    /** A channel and its subscribers (summed over the nodes). */
    public record Entry(String channel, long subscribers) {
        public Entry {
            Objects.requireNonNull(channel, "channel");
        }
    }

    public ChannelPage {
        channels = List.copyOf(channels);
    }

    /**
     * Merges the pages that the nodes answered for one query: counts of a channel summed, the
     * first {@code limit} names kept. Each node's page holds its first names after the cursor, so
     * every name up to the last kept one was in some page whenever a node had it: nothing is
     * skipped. A next cursor when a node had more or more names were merged than fit.
     */
    public static ChannelPage merge(List<ChannelPage> pages, int limit, boolean complete) {
        TreeMap<String, Long> counts = new TreeMap<>();
        boolean more = false;
        for (ChannelPage page : pages) {
            more |= page.cursor() != null;
            for (Entry e : page.channels()) {
                counts.merge(e.channel(), e.subscribers(), Long::sum);
            }
        }
        List<Entry> kept = new ArrayList<>(Math.min(limit, counts.size()));
        for (var e : counts.entrySet()) {
            if (kept.size() == limit) {
                more = true;
                break;
            }
            kept.add(new Entry(e.getKey(), e.getValue()));
        }
        kept.sort(Comparator.comparing(Entry::channel));
        String cursor = more && !kept.isEmpty() ? kept.get(kept.size() - 1).channel() : null;
        return new ChannelPage(kept, cursor, complete);
    }
}
