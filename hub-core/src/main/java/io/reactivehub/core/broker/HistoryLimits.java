package io.reactivehub.core.broker;

/**
 * Node-wide bounds of the history the in-process broker keeps: past either, a publish to a channel
 * with history is refused with {@code LIMIT_EXCEEDED} (nothing is numbered, kept or delivered)
 * until history expires or is trimmed. Redis-backed history is bounded by Redis itself
 * ({@code maxmemory}) and each channel's {@code history:N} and TTL.
 *
 * @param maxChannels channels holding history at once ({@value #DEFAULT_MAX_CHANNELS} by default)
 * @param maxBytes    payload bytes held in history over all channels (256 MiB by default)
 */
public record HistoryLimits(int maxChannels, long maxBytes) {
    public static final int DEFAULT_MAX_CHANNELS = 100_000;
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
    public static final HistoryLimits DEFAULT = new HistoryLimits(DEFAULT_MAX_CHANNELS, DEFAULT_MAX_BYTES);

    public HistoryLimits {
        if (maxChannels < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxChannels and maxBytes must be at least 1");
        }
    }
}
