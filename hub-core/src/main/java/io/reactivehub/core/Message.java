package io.reactivehub.core;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One published message as every subscriber of its channel sees it. Immutable and thread-safe;
 * the payload array is owned by the message and must not be modified.
 *
 * <p>A message also caches its wire form per {@link Codec}: {@link #encoded(Codec)} encodes once
 * and hands every caller the same buffer, so fan-out to N connections costs one encode, not N.
 */
public final class Message {
    private static final AtomicReferenceFieldUpdater<Message, Object[]> ENCODED =
            AtomicReferenceFieldUpdater.newUpdater(Message.class, Object[].class, "encoded");
    private static final Object[] NONE = new Object[0];

    private final ChannelName channel;
    private final long offset;
    private final byte[] payload;
    private final PayloadType type;
    private final String epoch;
    // Pairs [codec, buffer, codec, buffer, ...]; copy-on-write, few codecs exist.
    private volatile Object[] encoded = NONE;

    /**
     * @param channel where the message was published
     * @param offset  its position in the channel, counting from 1
     * @param payload the bytes, not copied: the caller gives up the array
     * @param type    what the bytes are
     */
    public Message(ChannelName channel, long offset, byte[] payload, PayloadType type) {
        this(channel, offset, "", payload, type);
    }

    /** As {@link #Message(ChannelName, long, byte[], PayloadType)}, with the epoch of its offset. */
    public Message(ChannelName channel, long offset, String epoch, byte[] payload, PayloadType type) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.offset = offset;
        this.epoch = Objects.requireNonNull(epoch, "epoch");
        this.payload = Objects.requireNonNull(payload, "payload");
        this.type = Objects.requireNonNull(type, "type");
    }

    /** The epoch of the channel's numbering this offset belongs to ("" where unknown). */
    public String epoch() {
        return epoch;
    }

    public ChannelName channel() {
        return channel;
    }

    /** Position in the channel: 1 for the first message after the channel was created. */
    public long offset() {
        return offset;
    }

    /** The payload; the array is shared, never modify it. */
    public byte[] payload() {
        return payload;
    }

    public PayloadType type() {
        return type;
    }

    /** Payload size in bytes. */
    public int size() {
        return payload.length;
    }

    /** The payload decoded as UTF-8 (meaningful for {@link PayloadType#TEXT} and {@link PayloadType#JSON}). */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * The message's wire form in {@code codec}, encoded on first use and shared afterwards. The
     * buffer is never released by its users: each write takes a view of its own
     * ({@link io.reactivehub.core.codec.WireBuffers#share}). Its memory is reclaimed by the garbage
     * collector together with the message.
     */
    public ByteBuf encoded(Codec codec) {
        Object[] pairs = encoded;
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i] == codec) {
                return (ByteBuf) pairs[i + 1];
            }
        }
        ByteBuf buf = codec.encode(this);
        while (true) {
            Object[] current = encoded;
            for (int i = 0; i < current.length; i += 2) {
                if (current[i] == codec) {
                    return (ByteBuf) current[i + 1];
                }
            }
            Object[] next = new Object[current.length + 2];
            System.arraycopy(current, 0, next, 0, current.length);
            next[current.length] = codec;
            next[current.length + 1] = buf;
            if (ENCODED.compareAndSet(this, current, next)) {
                return buf;
            }
        }
    }

    @Override
    public String toString() {
        return "Message[" + channel + "#" + offset + ", " + type + ", " + payload.length + " bytes]";
    }
}
