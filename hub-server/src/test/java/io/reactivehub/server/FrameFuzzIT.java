package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivehub.server.FrameModel.Outcome;
import io.reactivehub.server.FrameModel.WsFrame;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Random frame sequences on {@code /ws/{channel}} and {@code /hub} of one real server, with and
 * without permessage-deflate, masked or not: fragments, control frames between fragments, reserved
 * bits and opcodes, oversized and invalid UTF-8 messages, close frames with random codes and
 * reasons. {@link FrameModel} says what the README promises for each sequence: a close with one of
 * a few codes, then the TCP close; or the connection stays (a ping still gets its pong). Reads are
 * bounded (a hang fails the try); after each try a bystander still gets what is published, nothing
 * was logged at ERROR (or WARN by Netty); after all tries no buffer leaked. Seeded random input
 * ({@link Fuzz}): 1000 tries, each named by its seed, which a failure prints;
 * {@code -Dfuzz.seed=<seed> -Dfuzz.tries=1} runs that scenario again.
 */
class FrameFuzzIT {
    private static final int MAX = 1024;
    private static final int TIMEOUT_MS = 10_000;

    private static ServerFixture fixture;
    private static FuzzWatch watch;
    private static WsTestClient bystander;

    @BeforeAll
    static void start() throws IOException {
        fixture = new ServerFixture(ServerConfig.DEFAULT.withMaxMessageSize(MAX));
        watch = new FuzzWatch();
        // On the channel the raw fuzzer publishes to: it receives whatever the fuzzer gets through.
        bystander = WsTestClient.connect(fixture.port(), "/ws/fuzz");
        bystander.readTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws IOException {
        bystander.close();
        watch.close();
        fixture.close();
    }

    /** One try: where to connect, whether to offer permessage-deflate and mask, and the frames. */
    record Scenario(boolean hub, boolean deflate, boolean masked, List<WsFrame> frames) {
        @Override
        public String toString() {
            return (hub ? "/hub" : "/ws/fuzz") + (deflate ? " deflate" : "") + (masked ? "" : " UNMASKED") + " "
                    + frames;
        }
    }

    @TestFactory
    Stream<DynamicTest> everySequenceEndsInADocumentedCloseOrLeavesTheConnectionServed() {
        return Stream.concat(
                Fuzz.tries(1000, FrameFuzzIT::scenario, FrameFuzzIT::endsInADocumentedCloseOrStaysServed),
                Stream.of(DynamicTest.dynamicTest("no buffer leaked", () -> watch.assertNoLeaks("the frame fuzz"))));
    }

    private static void endsInADocumentedCloseOrStaysServed(int n, Scenario s) throws IOException {
        String path = s.hub() ? "/hub" : "/ws/fuzz";
        String offer = s.deflate() ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "";
        try (WsTestClient c = WsTestClient.connect(fixture.port(), path, -1, s.masked(), offer)) {
            c.readTimeout(TIMEOUT_MS);
            boolean deflate = c.handshake.toLowerCase().contains("permessage-deflate");
            assertThat(deflate).as("permessage-deflate negotiated when offered").isEqualTo(s.deflate());
            Outcome expected = FrameModel.expect(s.frames(), s.masked(), deflate, MAX);
            for (WsFrame f : s.frames().subList(0, expected.frames())) {
                c.sendFrame(f.fin(), f.rsv(), f.opcode(), f.payload());
            }
            if (expected.staysOpen()) {
                assertServed(c, n);
            } else {
                assertClosedWith(c, expected);
            }
        }
        bystanderStillServed(n);
        watch.assertNothingLogged("try " + n + ": " + s);
    }

    /** A ping, even between fragments, gets its pong: the connection is still read and served. */
    private static void assertServed(WsTestClient c, int n) throws IOException {
        byte[] probe = ("probe-" + n).getBytes(StandardCharsets.US_ASCII);
        c.sendFrame(true, 0, 0x9, probe);
        while (true) {
            WsTestClient.Frame frame = c.read();
            if (frame.isClose()) {
                fail("expected the connection to stay open, got close %d (%s)", frame.closeCode(), reason(frame));
            }
            if (frame.opcode() == 0xA && Arrays.equals(frame.payload(), probe)) {
                return;
            }
        }
    }

    private static void assertClosedWith(WsTestClient c, Outcome expected) throws IOException {
        if (expected.unknown()) {
            // Garbage deflate data may also inflate to something: then the connection stays.
            c.readTimeout(2_000);
            try {
                WsTestClient.Frame close = readClose(c);
                assertThat(expected.codes())
                        .as("close code %d (%s)", close.closeCode(), reason(close))
                        .contains(close.closeCode());
            } catch (SocketTimeoutException stillOpen) {
                c.readTimeout(TIMEOUT_MS);
                assertServed(c, -1);
            }
            return;
        }
        WsTestClient.Frame close = readClose(c);
        assertThat(expected.codes())
                .as("close code %d (%s)", close.closeCode(), reason(close))
                .contains(close.closeCode());
        assertThat(c.isClosedByPeer()).as("TCP closed after the close frame").isTrue();
    }

    /** Skips data frames, pongs and replies up to the server's close frame (code 1005: empty). */
    private static WsTestClient.Frame readClose(WsTestClient c) throws IOException {
        while (true) {
            WsTestClient.Frame frame = c.read();
            if (frame.isClose()) {
                return frame;
            }
        }
    }

    private static String reason(WsTestClient.Frame close) {
        byte[] p = close.payload();
        return p.length <= 2 ? "" : new String(p, 2, p.length - 2, StandardCharsets.UTF_8);
    }

    /** The bystander publishes a marker and reads it back, past whatever the fuzzer broadcast. */
    private static void bystanderStillServed(int n) throws IOException {
        String marker = "after-" + n;
        bystander.sendText(marker);
        while (true) {
            WsTestClient.Frame frame = bystander.read();
            assertThat(frame.fin()).as("the server sends whole messages").isTrue();
            assertThat(frame.opcode()).as("a data frame or a ping").isIn(0x1, 0x2, 0x9);
            if (frame.opcode() == 0x1 && frame.text().equals(marker)) {
                return;
            }
        }
    }

    /** The watch itself: a buffer dropped without release is reported, and would fail the fuzz. */
    @Test
    void aLeakedBufferIsCaught() {
        leak();
        List<String> reports = new ArrayList<>();
        // Collected and reported at some GC, not necessarily the first: poll (bounded).
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    reports.addAll(watch.leaksAfterGc());
                    return !reports.isEmpty();
                });
        watch.forget(); // the leak's ERROR line was expected
        assertThat(String.join("\n", reports)).contains("LEAK").contains("FrameFuzzIT.leak");
    }

    private static void leak() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeInt(42);
    }

    // --- generators ---

    /** Where to connect, deflate offered or not, masked (almost always), 1–6 groups of frames. */
    static Scenario scenario(Fuzz f) {
        boolean hub = f.bool();
        boolean deflate = f.bool();
        boolean masked = f.weighted(12, 1) == 0;
        List<WsFrame> frames = f
                .list(1, 6, () -> switch (f.weighted(6, 3, 4, 3, 1, 2, 2, 1, 1, 3, 1)) {
                    case 0 -> text(f);
                    case 1 -> binary(f);
                    case 2 -> fragmented(f);
                    case 3 -> ping(f);
                    case 4 -> pong(f);
                    case 5 -> close(f);
                    case 6 -> randomFrame(f);
                    case 7 -> invalidText(f);
                    case 8 -> oversized(f);
                    case 9 -> compressed(f);
                    default -> garbageCompressed(f);
                })
                .stream()
                .flatMap(List::stream)
                .toList();
        return new Scenario(hub, deflate, masked, frames);
    }

    private static String strings(Fuzz f, int max) {
        return switch (f.weighted(3, 1, 1)) {
            case 0 -> f.ascii(max);
            case 1 -> f.chars(0, max / 3, '\u0080', '\uFFFF');
            default -> f.anyChars(0, max / 3);
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<WsFrame> text(Fuzz f) {
        return List.of(WsFrame.of(true, 0, 0x1, utf8(strings(f, 300))));
    }

    private static List<WsFrame> binary(Fuzz f) {
        return List.of(WsFrame.of(true, 0, 0x2, f.bytes(0, 300)));
    }

    /** A message in 2–4 fragments, cut anywhere (through a UTF-8 character too), maybe a ping between. */
    private static List<WsFrame> fragmented(Fuzz f) {
        int opcode = f.pick(0x1, 0x2);
        byte[] all = utf8(strings(f, 600));
        List<Integer> cuts = f.list(1, 3, () -> f.between(0, 1000));
        int pingAt = f.between(-1, 3);
        int[] at = cuts.stream()
                .mapToInt(x -> all.length == 0 ? 0 : x % (all.length + 1))
                .sorted()
                .toArray();
        List<WsFrame> frames = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= at.length; i++) {
            int to = i < at.length ? at[i] : all.length;
            frames.add(WsFrame.of(i == at.length, 0, i == 0 ? opcode : 0x0, Arrays.copyOfRange(all, from, to)));
            from = to;
            if (i == pingAt && i < at.length) {
                frames.add(WsFrame.of(true, 0, 0x9, new byte[] {(byte) i}));
            }
        }
        return frames;
    }

    private static List<WsFrame> ping(Fuzz f) {
        byte[] payload = f.weighted(6, 1) == 0 ? f.bytes(0, 125) : f.bytes(126, 200);
        return List.of(WsFrame.of(true, 0, 0x9, payload));
    }

    private static List<WsFrame> pong(Fuzz f) {
        return List.of(WsFrame.of(true, 0, 0xA, f.bytes(0, 125)));
    }

    private static List<WsFrame> close(Fuzz f) {
        byte[] payload = switch (f.weighted(8, 1, 1)) {
            case 0 -> {
                int c = switch (f.weighted(3, 2, 2)) {
                    case 0 -> f.pick(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4999);
                    case 1 -> f.pick(0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535);
                    default -> f.between(0, 65535);
                };
                byte[] r = switch (f.weighted(4, 2, 1)) {
                    case 0 -> utf8(strings(f, 40));
                    case 1 -> f.bytes(0, 20);
                    default -> f.bytes(124, 140);
                };
                byte[] p = new byte[2 + r.length];
                p[0] = (byte) (c >> 8);
                p[1] = (byte) c;
                System.arraycopy(r, 0, p, 2, r.length);
                yield p;
            }
            case 1 -> new byte[0];
            default -> f.bytes(1, 1);
        };
        return List.of(WsFrame.of(true, 0, 0x8, payload));
    }

    /** Any header bits at all: opcode, FIN, RSV. */
    private static List<WsFrame> randomFrame(Fuzz f) {
        return List.of(WsFrame.of(f.bool(), f.between(0, 7), f.between(0, 15), f.bytes(0, 60)));
    }

    private static List<WsFrame> invalidText(Fuzz f) {
        return List.of(WsFrame.of(true, 0, 0x1, f.bytes(1, 40)));
    }

    private static List<WsFrame> oversized(Fuzz f) {
        int opcode = f.pick(0x1, 0x2);
        byte[] payload = new byte[f.between(MAX - 2, MAX + 300)];
        Arrays.fill(payload, (byte) 'x');
        return List.of(WsFrame.of(true, 0, opcode, payload));
    }

    /**
     * A permessage-deflate message: its compressed bytes in one or two frames (RSV1 on the first),
     * from short text to a small deflate bomb past the maximum message size.
     */
    private static List<WsFrame> compressed(Fuzz f) {
        int opcode = f.pick(0x1, 0x2);
        String s = f.weighted(4, 1) == 0 ? strings(f, 300) : "a".repeat(f.between(MAX - 10, 20 * MAX));
        int cut = f.between(0, 100);
        byte[] inflated = utf8(s);
        byte[] deflated = CompressionIT.deflate(inflated);
        if (cut % 2 == 0 || deflated.length < 2) {
            return List.of(new WsFrame(true, FrameModel.RSV1, opcode, deflated, inflated, inflated.length, false));
        }
        int at = 1 + cut % (deflated.length - 1);
        byte[] first = Arrays.copyOf(deflated, at);
        return List.of(
                new WsFrame(false, FrameModel.RSV1, opcode, first, inflated, inflatedLength(first), false),
                WsFrame.of(true, 0, 0x0, Arrays.copyOfRange(deflated, at, deflated.length)));
    }

    /** How many bytes a prefix of a deflate stream inflates to, as Netty inflates a non-final fragment. */
    private static int inflatedLength(byte[] prefix) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(prefix);
            byte[] out = new byte[64 * 1024];
            int total = 0;
            int n;
            while ((n = inflater.inflate(out)) > 0) {
                total += n;
            }
            return total;
        } catch (DataFormatException e) {
            throw new IllegalStateException(e);
        } finally {
            inflater.end();
        }
    }

    private static List<WsFrame> garbageCompressed(Fuzz f) {
        return List.of(new WsFrame(true, FrameModel.RSV1, f.pick(0x1, 0x2), f.bytes(1, 80), null, 0, true));
    }
}
