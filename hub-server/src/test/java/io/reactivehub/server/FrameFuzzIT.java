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
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random frame sequences on {@code /ws/{channel}} and {@code /hub} of one real server, with and
 * without permessage-deflate, masked or not: fragments, control frames between fragments, reserved
 * bits and opcodes, oversized and invalid UTF-8 messages, close frames with random codes and
 * reasons. {@link FrameModel} says what the README promises for each sequence: a close with one of
 * a few codes, then the TCP close; or the connection stays (a ping still gets its pong). Reads are
 * bounded (a hang fails the try); after each try a bystander still gets what is published, nothing
 * was logged at ERROR (or WARN by Netty); after each property no buffer leaked.
 */
class FrameFuzzIT {
    private static final int MAX = 1024;
    private static final int TIMEOUT_MS = 10_000;

    private static ServerFixture fixture;
    private static FuzzWatch watch;
    private static WsTestClient bystander;
    private static int tries;

    @BeforeContainer
    static void start() throws IOException {
        fixture = new ServerFixture(ServerConfig.DEFAULT.withMaxMessageSize(MAX));
        watch = new FuzzWatch();
        // On the channel the raw fuzzer publishes to: it receives whatever the fuzzer gets through.
        bystander = WsTestClient.connect(fixture.port(), "/ws/fuzz");
        bystander.readTimeout(TIMEOUT_MS);
    }

    @AfterContainer
    static void stop() throws IOException {
        bystander.close();
        watch.close();
        fixture.close();
    }

    @AfterProperty
    void noLeaks() {
        watch.assertNoLeaks("the frame fuzz");
    }

    /** One try: where to connect, whether to offer permessage-deflate and mask, and the frames. */
    record Scenario(boolean hub, boolean deflate, boolean masked, List<WsFrame> frames) {
        @Override
        public String toString() {
            return (hub ? "/hub" : "/ws/fuzz") + (deflate ? " deflate" : "") + (masked ? "" : " UNMASKED") + " "
                    + frames;
        }
    }

    @Property(tries = 1000)
    void everySequenceEndsInADocumentedCloseOrLeavesTheConnectionServed(@ForAll("scenarios") Scenario s)
            throws IOException {
        int n = ++tries;
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

    /** The watch itself: a buffer dropped without release is reported, and would fail a property. */
    @Example
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

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<List<WsFrame>> frames = Arbitraries.frequencyOf(
                        Tuple.of(6, text()),
                        Tuple.of(3, binary()),
                        Tuple.of(4, fragmented()),
                        Tuple.of(3, ping()),
                        Tuple.of(1, pong()),
                        Tuple.of(2, close()),
                        Tuple.of(2, randomFrame()),
                        Tuple.of(1, invalidText()),
                        Tuple.of(1, oversized()),
                        Tuple.of(3, compressed()),
                        Tuple.of(1, garbageCompressed()))
                .list()
                .ofMinSize(1)
                .ofMaxSize(6)
                .map(groups -> groups.stream().flatMap(List::stream).toList());
        return Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.of(true, false),
                        Arbitraries.frequency(Tuple.of(12, true), Tuple.of(1, false)),
                        frames)
                .as(Scenario::new);
    }

    private static Arbitrary<String> strings(int max) {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.strings().ascii().ofMaxLength(max)),
                Tuple.of(
                        1,
                        Arbitraries.strings().withCharRange('\u0080', '\uFFFF').ofMaxLength(max / 3)),
                Tuple.of(1, Arbitraries.strings().all().ofMaxLength(max / 3)));
    }

    private static Arbitrary<byte[]> bytes(int min, int max) {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(min).ofMaxSize(max);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Arbitrary<List<WsFrame>> text() {
        return strings(300).map(s -> List.of(WsFrame.of(true, 0, 0x1, utf8(s))));
    }

    private Arbitrary<List<WsFrame>> binary() {
        return bytes(0, 300).map(b -> List.of(WsFrame.of(true, 0, 0x2, b)));
    }

    /** A message in 2–4 fragments, cut anywhere (through a UTF-8 character too), maybe a ping between. */
    private Arbitrary<List<WsFrame>> fragmented() {
        return Combinators.combine(
                        Arbitraries.of(0x1, 0x2),
                        strings(600),
                        Arbitraries.integers()
                                .between(0, 1000)
                                .list()
                                .ofMinSize(1)
                                .ofMaxSize(3),
                        Arbitraries.integers().between(-1, 3))
                .as((opcode, s, cuts, pingAt) -> {
                    byte[] all = utf8(s);
                    int[] at = cuts.stream()
                            .mapToInt(x -> all.length == 0 ? 0 : x % (all.length + 1))
                            .sorted()
                            .toArray();
                    List<WsFrame> frames = new ArrayList<>();
                    int from = 0;
                    for (int i = 0; i <= at.length; i++) {
                        int to = i < at.length ? at[i] : all.length;
                        frames.add(WsFrame.of(
                                i == at.length, 0, i == 0 ? opcode : 0x0, Arrays.copyOfRange(all, from, to)));
                        from = to;
                        if (i == pingAt && i < at.length) {
                            frames.add(WsFrame.of(true, 0, 0x9, new byte[] {(byte) i}));
                        }
                    }
                    return frames;
                });
    }

    private Arbitrary<List<WsFrame>> ping() {
        return Arbitraries.frequencyOf(Tuple.of(6, bytes(0, 125)), Tuple.of(1, bytes(126, 200)))
                .map(b -> List.of(WsFrame.of(true, 0, 0x9, b)));
    }

    private Arbitrary<List<WsFrame>> pong() {
        return bytes(0, 125).map(b -> List.of(WsFrame.of(true, 0, 0xA, b)));
    }

    private Arbitrary<List<WsFrame>> close() {
        Arbitrary<Integer> code = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4999)),
                Tuple.of(2, Arbitraries.of(0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)),
                Tuple.of(2, Arbitraries.integers().between(0, 65535)));
        Arbitrary<byte[]> reason = Arbitraries.frequencyOf(
                Tuple.of(4, strings(40).map(FrameFuzzIT::utf8)),
                Tuple.of(2, bytes(0, 20)),
                Tuple.of(1, bytes(124, 140)));
        Arbitrary<byte[]> payload = Arbitraries.frequencyOf(
                Tuple.of(8, Combinators.combine(code, reason).as((c, r) -> {
                    byte[] p = new byte[2 + r.length];
                    p[0] = (byte) (c >> 8);
                    p[1] = (byte) (int) c;
                    System.arraycopy(r, 0, p, 2, r.length);
                    return p;
                })),
                Tuple.of(1, Arbitraries.just(new byte[0])),
                Tuple.of(1, bytes(1, 1)));
        return payload.map(p -> List.of(WsFrame.of(true, 0, 0x8, p)));
    }

    /** Any header bits at all: opcode, FIN, RSV. */
    private Arbitrary<List<WsFrame>> randomFrame() {
        return Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.integers().between(0, 7),
                        Arbitraries.integers().between(0, 15),
                        bytes(0, 60))
                .as((fin, rsv, opcode, payload) -> List.of(WsFrame.of(fin, rsv, opcode, payload)));
    }

    private Arbitrary<List<WsFrame>> invalidText() {
        return bytes(1, 40).map(b -> List.of(WsFrame.of(true, 0, 0x1, b)));
    }

    private Arbitrary<List<WsFrame>> oversized() {
        return Combinators.combine(
                        Arbitraries.of(0x1, 0x2), Arbitraries.integers().between(MAX - 2, MAX + 300))
                .as((opcode, size) -> {
                    byte[] payload = new byte[size];
                    Arrays.fill(payload, (byte) 'x');
                    return List.of(WsFrame.of(true, 0, opcode, payload));
                });
    }

    /**
     * A permessage-deflate message: its compressed bytes in one or two frames (RSV1 on the first),
     * from short text to a small deflate bomb past the maximum message size.
     */
    private Arbitrary<List<WsFrame>> compressed() {
        Arbitrary<String> content = Arbitraries.frequencyOf(
                Tuple.of(4, strings(300)),
                Tuple.of(1, Arbitraries.integers().between(MAX - 10, 20 * MAX).map("a"::repeat)));
        return Combinators.combine(
                        Arbitraries.of(0x1, 0x2),
                        content,
                        Arbitraries.integers().between(0, 100))
                .as((opcode, s, cut) -> {
                    byte[] inflated = utf8(s);
                    byte[] deflated = CompressionIT.deflate(inflated);
                    if (cut % 2 == 0 || deflated.length < 2) {
                        return List.of(
                                new WsFrame(true, FrameModel.RSV1, opcode, deflated, inflated, inflated.length, false));
                    }
                    int at = 1 + cut % (deflated.length - 1);
                    byte[] first = Arrays.copyOf(deflated, at);
                    return List.of(
                            new WsFrame(false, FrameModel.RSV1, opcode, first, inflated, inflatedLength(first), false),
                            WsFrame.of(true, 0, 0x0, Arrays.copyOfRange(deflated, at, deflated.length)));
                });
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

    private Arbitrary<List<WsFrame>> garbageCompressed() {
        return Combinators.combine(Arbitraries.of(0x1, 0x2), bytes(1, 80))
                .as((opcode, b) -> List.of(new WsFrame(true, FrameModel.RSV1, opcode, b, null, 0, true)));
    }
}
