package io.reactivehub.core.codec;

import io.netty.buffer.ByteBuf;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Message;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.Deflater;

/**
 * permessage-deflate (RFC 7692) compressed once per message and shared by every connection that
 * negotiated it with {@code server_no_context_takeover}: with no compression context carried from
 * one message to the next, the compressed bytes of a message are the same for every receiver,
 * so N subscribers cost one compression (uWebSockets calls this a shared compressor). Messages
 * smaller than {@code minSize} go out uncompressed (RSV1 clear), which the extension allows.
 * Thread-safe: each thread compresses with its own {@link Deflater}.
 */
public final class DeflateCodec implements Codec {
    private static final int RSV1 = 0x40;
    private static final ThreadLocal<Deflater> DEFLATERS = ThreadLocal.withInitial(() -> new Deflater(6, true));

    private final Codec plain;
    private final int minSize;

    /**
     * @param plain   the uncompressed form (whose frame is reused below {@code minSize})
     * @param minSize payload size below which messages are sent uncompressed
     */
    public DeflateCodec(Codec plain, int minSize) {
        this.plain = Objects.requireNonNull(plain, "plain");
        if (minSize < 0) {
            throw new IllegalArgumentException("minSize must not be negative, was " + minSize);
        }
        this.minSize = minSize;
    }

    public int minSize() {
        return minSize;
    }

    @Override
    public ByteBuf encode(Message message) {
        ByteBuf frame = message.encoded(plain);
        int first = frame.getUnsignedByte(frame.readerIndex());
        int len7 = frame.getUnsignedByte(frame.readerIndex() + 1) & 0x7F;
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        int length = frame.readableBytes() - header;
        if (length < minSize) {
            return frame;
        }
        byte[] payload = new byte[length];
        frame.getBytes(frame.readerIndex() + header, payload);
        byte[] compressed = deflate(payload);
        ByteBuffer out = WireBuffers.startFrame(first & 0x0F, compressed.length);
        out.put(0, (byte) (first | RSV1));
        out.put(compressed);
        return WireBuffers.finish(out);
    }

    /** Raw deflate with a sync flush, minus the trailing 00 00 FF FF (RFC 7692 section 7.2.1). */
    static byte[] deflate(byte[] input) {
        Deflater deflater = DEFLATERS.get();
        deflater.reset();
        deflater.setInput(input);
        byte[] out = new byte[Math.max(64, input.length / 2 + 16)];
        int n = 0;
        while (true) {
            n += deflater.deflate(out, n, out.length - n, Deflater.SYNC_FLUSH);
            if (n < out.length) {
                break;
            }
            out = Arrays.copyOf(out, out.length * 2);
        }
        // A sync flush always ends with the empty stored block 00 00 FF FF; the receiver adds it back.
        return Arrays.copyOf(out, n - 4);
    }
}
