package io.reactivehub.bench;

import io.netty.buffer.ByteBuf;

/**
 * The bench payload: 8 bytes of send time (nanoseconds since the run's epoch; the intended time in
 * fixed-rate runs, so latency has no coordinated omission), 4 bytes publisher index, 4 bytes
 * sequence number, zero padding up to the payload size.
 */
final class Payload {
    static final int HEADER = 16;

    private Payload() {
    }

    static void write(ByteBuf out, long sentNanos, int publisher, int seq, int size) {
        out.writeLong(sentNanos);
        out.writeInt(publisher);
        out.writeInt(seq);
        out.writeZero(size - HEADER);
    }

    static long sentNanos(ByteBuf in) {
        return in.getLong(in.readerIndex());
    }

    static int publisher(ByteBuf in) {
        return in.getInt(in.readerIndex() + 8);
    }

    static int seq(ByteBuf in) {
        return in.getInt(in.readerIndex() + 12);
    }
}
