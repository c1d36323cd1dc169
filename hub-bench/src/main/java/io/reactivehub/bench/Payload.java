package io.reactivehub.bench;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The bench payload. Raw protocol (binary frames): 8 bytes of send time (nanoseconds since the
 * run's epoch; the intended time in fixed-rate runs, so latency has no coordinated omission),
 * 4 bytes publisher index, 4 bytes sequence number, zero padding up to the payload size.
 * Hub protocol: the same three numbers as 16 + 8 + 8 hex digits at the start of the JSON string
 * in {@code data}, padded with '.' to the payload size.
 */
final class Payload {
    static final int HEADER = 16;
    static final int TEXT_HEADER = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private Payload() {}

    /** Padding that compresses like chat text rather than like zeros. */
    private static final byte[] FILLER = ("{\"user\":\"ann\",\"text\":\"see you at the station at half past six, "
                    + "bring the tickets\",\"room\":\"travel\",\"ts\":1764111600} ")
            .getBytes(StandardCharsets.US_ASCII);

    static void write(ByteBuf out, long sentNanos, int publisher, int seq, int size) {
        out.writeLong(sentNanos);
        out.writeInt(publisher);
        out.writeInt(seq);
        for (int left = size - HEADER; left > 0; left -= FILLER.length) {
            out.writeBytes(FILLER, 0, Math.min(left, FILLER.length));
        }
    }

    static void writeText(ByteBuf out, long sentNanos, int publisher, int seq, int size) {
        hex(out, sentNanos, 16);
        hex(out, publisher, 8);
        hex(out, seq, 8);
        for (int i = TEXT_HEADER; i < size; i++) {
            out.writeByte('.');
        }
    }

    private static void hex(ByteBuf out, long value, int digits) {
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            out.writeByte(HEX[(int) (value >>> shift) & 0xF]);
        }
    }

    static long parseHex(ByteBuf in, int index, int digits) {
        long v = 0;
        for (int i = 0; i < digits; i++) {
            int c = in.getByte(index + i);
            v = (v << 4) | (c <= '9' ? c - '0' : c - 'a' + 10);
        }
        return v;
    }
}
