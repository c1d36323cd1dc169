package io.reactivehub.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * One generator connection, subscriber or publisher (a publisher is a channel member too, and its
 * own messages coming back clock its sends in max-rate mode). Speaks WebSocket itself, parsing
 * frames in place in the receive buffer: no frame objects, no copies, so the generator spends its
 * CPU on the server's messages rather than on itself. Runs on one event loop; no locks.
 */
final class BenchConnection extends ByteToMessageDecoder {
    private static final byte[] PUSH_DATA = "\"data\":\"".getBytes(StandardCharsets.US_ASCII);

    private final LoadRun run;
    private final URI url;
    private final boolean publisher;
    private final int index;
    private final boolean hubProtocol;
    final CompletableFuture<BenchConnection> ready = new CompletableFuture<>();
    private final int[] nextSeq;
    private Channel channel;
    private boolean open;
    private int seq;
    private int inFlight;
    private boolean needFlush;
    volatile boolean received;
    private final boolean deflate;
    private Inflater inflater;
    private byte[] inflated;
    /** Churn connections come and go; their closes are not losses. */
    boolean churner;

    BenchConnection(
            LoadRun run, URI url, boolean publisher, int index, int publishers, boolean hubProtocol, boolean deflate) {
        this.run = run;
        this.deflate = deflate;
        this.url = url;
        this.publisher = publisher;
        this.index = index;
        this.hubProtocol = hubProtocol;
        this.nextSeq = new int[publishers];
        Arrays.fill(nextSeq, -1);
    }

    Channel channel() {
        return channel;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n"
                + (deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "") + "\r\n";
        ctx.writeAndFlush(ByteBufUtil.writeAscii(ctx.alloc(), request));
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!ready.isDone()) {
            ready.completeExceptionally(new IllegalStateException("closed during handshake"));
        } else if (run.running() && !churner) {
            run.connectionLost();
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!open && !handshake(ctx, in)) {
            return;
        }
        if (in.readableBytes() < 2) {
            return;
        }
        try (DeliveryCounters.Batch batch = run.openBatch()) {
            decodeFrames(ctx, in, batch, run.nowNanos());
        }
    }

    /** Every whole frame in {@code in}, all read at {@code readAt}. */
    private void decodeFrames(ChannelHandlerContext ctx, ByteBuf in, DeliveryCounters.Batch batch, long readAt) {
        while (in.readableBytes() >= 2) {
            int start = in.readerIndex();
            int b0 = in.getUnsignedByte(start);
            int len7 = in.getUnsignedByte(start + 1) & 0x7F;
            int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
            if (in.readableBytes() < header) {
                return;
            }
            long length = len7 < 126 ? len7 : len7 == 126 ? in.getUnsignedShort(start + 2) : in.getLong(start + 2);
            if (in.readableBytes() < header + length) {
                return;
            }
            int payload = start + header;
            int n = (int) length;
            if (!publisher) {
                batch.wire(header + n);
            }
            switch (b0 & 0x0F) {
                case 0x1, 0x2 -> {
                    if ((b0 & 0x40) != 0) {
                        ByteBuf plain = inflate(in, payload, n);
                        onData(plain, 0, plain.readableBytes(), batch, readAt);
                    } else {
                        onData(in, payload, n, batch, readAt);
                    }
                }
                case 0x8 -> {
                    if (!churner) {
                        run.closedByServer(n >= 2 ? in.getUnsignedShort(payload) : 1005);
                    }
                    ctx.close();
                }
                case 0x9 -> sendFrame(0xA, in.retainedSlice(payload, n));
                default -> {
                    // pong, continuation: nothing to measure
                }
            }
            in.readerIndex(payload + n);
        }
    }

    private boolean handshake(ChannelHandlerContext ctx, ByteBuf in) {
        int end = indexOf(in, in.readerIndex(), in.writerIndex(), CRLFCRLF);
        if (end < 0) {
            return false;
        }
        String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.US_ASCII);
        in.readerIndex(end + 4);
        if (!head.startsWith("HTTP/1.1 101")) {
            ready.completeExceptionally(new IllegalStateException(
                    "upgrade refused: " + head.lines().findFirst().orElse("")));
            ctx.close();
            return false;
        }
        open = true;
        if (hubProtocol) {
            sendText("{\"op\":\"subscribe\",\"channel\":\"" + run.channelName() + "\"}");
            flush();
        }
        ready.complete(this);
        return true;
    }

    private static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private void onData(ByteBuf in, int at, int n, DeliveryCounters.Batch batch, long readAt) {
        long sentAt;
        int pub;
        int s;
        if (hubProtocol) {
            int data = indexOf(in, at, at + n, PUSH_DATA);
            if (data < 0 || at + n - data < PUSH_DATA.length + Payload.TEXT_HEADER) {
                return; // a reply, not a push
            }
            int p = data + PUSH_DATA.length;
            sentAt = Payload.parseHex(in, p, 16);
            pub = (int) Payload.parseHex(in, p + 16, 8);
            s = (int) Payload.parseHex(in, p + 24, 8);
        } else {
            if (n < Payload.HEADER) {
                return;
            }
            sentAt = in.getLong(at);
            pub = in.getInt(at + 8);
            s = in.getInt(at + 12);
        }
        received = true;
        if (pub < 0 || pub >= nextSeq.length) {
            return;
        }
        int expected = nextSeq[pub];
        if (expected >= 0 && s != expected) {
            if (s > expected) {
                run.gap(s - expected);
            } else {
                run.reordered();
            }
        }
        if (s >= expected) {
            nextSeq[pub] = s + 1;
        }
        if (publisher) {
            if (pub == index) {
                inFlight--;
                if (run.maxRate() && run.sending()) {
                    sendOne(run.nowNanos());
                }
            }
        } else if (!churner) {
            run.delivered(batch, readAt, sentAt);
        }
    }

    /** One permessage-deflate message (the server keeps no context between messages). */
    private ByteBuf inflate(ByteBuf in, int at, int n) {
        if (inflater == null) {
            inflater = new Inflater(true);
            inflated = new byte[1 << 16];
        }
        byte[] input = new byte[n + 4];
        in.getBytes(at, input, 0, n);
        input[n + 2] = (byte) 0xFF;
        input[n + 3] = (byte) 0xFF;
        inflater.reset();
        inflater.setInput(input);
        try {
            int size = inflater.inflate(inflated);
            return Unpooled.wrappedBuffer(inflated, 0, size);
        } catch (DataFormatException e) {
            throw new IllegalStateException("server sent a corrupt compressed message", e);
        }
    }

    private static int indexOf(ByteBuf in, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (in.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        flush();
        super.channelReadComplete(ctx);
    }

    /** Max-rate mode: fill the window; echoes keep it full. Call on the event loop. */
    void startWindow(int window) {
        while (inFlight < window) {
            sendOne(run.nowNanos());
        }
        flush();
    }

    /** Sends one message stamped with {@code stampNanos} (the intended time in fixed-rate mode). */
    void sendOne(long stampNanos) {
        int size = run.size();
        ByteBuf payload = channel.alloc().buffer(hubProtocol ? size + 64 : size);
        if (hubProtocol) {
            payload.writeCharSequence(
                    "{\"op\":\"publish\",\"channel\":\"" + run.channelName() + "\",\"data\":\"",
                    StandardCharsets.US_ASCII);
            Payload.writeText(payload, stampNanos, index, seq++, size);
            payload.writeCharSequence("\"}", StandardCharsets.US_ASCII);
            sendFrame(0x1, payload);
        } else {
            Payload.write(payload, stampNanos, index, seq++, size);
            sendFrame(0x2, payload);
        }
        inFlight++;
        run.sent(stampNanos);
    }

    private void sendText(String text) {
        sendFrame(0x1, ByteBufUtil.writeUtf8(channel.alloc(), text));
    }

    /** A client frame with an all-zero masking key (legal, RFC 6455 5.3): the payload goes out as is. */
    private void sendFrame(int opcode, ByteBuf payload) {
        int n = payload.readableBytes();
        ByteBuf header = channel.alloc().buffer(14);
        header.writeByte(0x80 | opcode);
        if (n < 126) {
            header.writeByte(0x80 | n);
        } else if (n <= 0xFFFF) {
            header.writeByte(0x80 | 126).writeShort(n);
        } else {
            header.writeByte(0x80 | 127).writeLong(n);
        }
        header.writeInt(0);
        channel.write(header, channel.voidPromise());
        channel.write(payload, channel.voidPromise());
        needFlush = true;
    }

    int sentCount() {
        return seq;
    }

    void flush() {
        if (needFlush) {
            needFlush = false;
            channel.flush();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ready.isDone()) {
            ready.completeExceptionally(cause);
        }
        ctx.close();
    }
}
