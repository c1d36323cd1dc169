package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** RFC 6455 enforcement on every inbound frame, and that a faulty client never disturbs the others. */
class FrameConformanceIT {
    private static final int MAX = 1024;
    private final ServerFixture fixture = new ServerFixture(ServerConfig.DEFAULT.withMaxMessageSize(MAX));

    @AfterEach
    void stop() {
        fixture.close();
    }

    private int channels;

    /** Joins a channel of its own with a bystander already on it, or (first call of a pair) alone. */
    private WsTestClient join() throws IOException {
        return join("room" + channels++);
    }

    private WsTestClient join(String channel) throws IOException {
        ChannelName name = ChannelName.of(channel);
        int before = fixture.hub.subscriberCount(name);
        WsTestClient client = WsTestClient.connect(fixture.port(), "/ws/" + channel);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.subscriberCount(name) > before);
        return client;
    }

    private WsTestClient joinSame() throws IOException {
        return join("room" + (channels - 1));
    }

    /** A bystander on the same channel still gets messages after the faulty client was closed. */
    private void bystanderStillServed(WsTestClient bystander) throws IOException {
        bystander.sendText("still fine");
        assertThat(bystander.readText()).isEqualTo("still fine");
    }

    @Test
    void fragmentsAreReassembledIntoOneMessage() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(false, 0, 0x1, "hel".getBytes(StandardCharsets.UTF_8));
            c.sendFrame(false, 0, 0x0, "lo ".getBytes(StandardCharsets.UTF_8));
            c.sendFrame(true, 0, 0x0, "world".getBytes(StandardCharsets.UTF_8));
            WsTestClient.Frame frame = c.read();
            assertThat(frame.fin()).isTrue();
            assertThat(frame.text()).isEqualTo("hello world");
        }
    }

    @Test
    void aPingIsAnsweredWithTheSamePayload() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(true, 0, 0x9, new byte[] {7, 8, 9});
            WsTestClient.Frame pong = c.read();
            assertThat(pong.opcode()).isEqualTo(0xA);
            assertThat(pong.payload()).containsExactly(7, 8, 9);
        }
    }

    @Test
    void aFragmentedMessageOverTheLimitCloses1009() throws Exception {
        try (WsTestClient bystander = join();
                WsTestClient c = joinSame()) {
            byte[] half = new byte[MAX / 2 + 10];
            c.sendFrame(false, 0, 0x2, half);
            c.sendFrame(true, 0, 0x0, half);
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
            bystanderStillServed(bystander);
            assertThat(WsTestClient.httpGet(fixture.port(), "/metrics", false))
                    .contains("hub_oversized_messages_total 1.0");
        }
    }

    @Test
    void aSingleFrameOverTheLimitCloses1009() throws Exception {
        try (WsTestClient c = join()) {
            c.sendBinary(new byte[MAX + 1]);
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        }
    }

    @Test
    void invalidUtf8InATextMessageCloses1007() throws Exception {
        try (WsTestClient bystander = join();
                WsTestClient c = joinSame()) {
            c.sendFrame(true, 0, 0x1, new byte[] {'o', 'k', (byte) 0xC3, (byte) 0x28});
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
            bystanderStillServed(bystander);
        }
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsCloses1007() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(false, 0, 0x1, new byte[] {'a', (byte) 0xF0});
            c.sendFrame(true, 0, 0x0, new byte[] {'b'});
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
        }
    }

    @Test
    void reservedBitsWithoutAnExtensionClose1002() throws Exception {
        for (int rsv : new int[] {1, 2, 4}) {
            try (WsTestClient bystander = join();
                    WsTestClient c = joinSame()) {
                c.sendFrame(true, rsv, 0x1, "x".getBytes(StandardCharsets.UTF_8));
                assertThat(c.readCloseCode()).as("rsv %d", rsv).isEqualTo(CloseCodes.PROTOCOL_ERROR);
                bystanderStillServed(bystander);
            }
        }
    }

    /** Joins a channel of its own having negotiated permessage-deflate. */
    private WsTestClient joinDeflate() throws IOException {
        String channel = "room" + channels++;
        ChannelName name = ChannelName.of(channel);
        WsTestClient client = WsTestClient.connect(
                fixture.port(), "/ws/" + channel, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
        assertThat(client.handshake.toLowerCase()).contains("permessage-deflate");
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.subscriberCount(name) > 0);
        return client;
    }

    private static final int RSV1 = 4;

    @Test
    void withDeflateACompressedMessageStillPasses() throws Exception {
        try (WsTestClient c = joinDeflate()) {
            byte[] compressed = CompressionIT.deflate("hello world".getBytes(StandardCharsets.UTF_8));
            c.sendFrame(false, RSV1, 0x1, java.util.Arrays.copyOf(compressed, 3));
            c.sendFrame(true, 0, 0x0, java.util.Arrays.copyOfRange(compressed, 3, compressed.length));
            assertThat(c.readText()).isEqualTo("hello world");
        }
    }

    @Test
    void withDeflateRsv1OnAContinuationCloses1002() throws Exception {
        try (WsTestClient c = joinDeflate()) {
            byte[] compressed = CompressionIT.deflate("hello world".getBytes(StandardCharsets.UTF_8));
            c.sendFrame(false, RSV1, 0x1, java.util.Arrays.copyOf(compressed, 3));
            c.sendFrame(true, RSV1, 0x0, java.util.Arrays.copyOfRange(compressed, 3, compressed.length));
            assertThat(closeCodeThenEof(c)).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    @Test
    void withDeflateRsv1OnAContinuationOfAPlainMessageCloses1002() throws Exception {
        try (WsTestClient c = joinDeflate()) {
            c.sendFrame(false, 0, 0x1, "hel".getBytes(StandardCharsets.UTF_8));
            c.sendFrame(true, RSV1, 0x0, "lo".getBytes(StandardCharsets.UTF_8));
            assertThat(closeCodeThenEof(c)).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    @Test
    void withDeflateRsv1OnAControlFrameCloses1002() throws Exception {
        for (int opcode : new int[] {0x8, 0x9, 0xA}) {
            try (WsTestClient c = joinDeflate()) {
                byte[] payload = opcode == 0x8 ? new byte[] {0x03, (byte) 0xE8} : new byte[] {1};
                c.sendFrame(true, RSV1, opcode, payload);
                assertThat(closeCodeThenEof(c)).as("opcode %d", opcode).isEqualTo(CloseCodes.PROTOCOL_ERROR);
            }
        }
    }

    @Test
    void withDeflateRsv2AndRsv3Close1002() throws Exception {
        byte[] compressed = CompressionIT.deflate("hello".getBytes(StandardCharsets.UTF_8));
        for (int rsv : new int[] {1, 2, 3, RSV1 | 1, RSV1 | 2}) {
            try (WsTestClient c = joinDeflate()) {
                c.sendFrame(true, rsv, 0x1, (rsv & RSV1) != 0 ? compressed : "hello".getBytes(StandardCharsets.UTF_8));
                assertThat(closeCodeThenEof(c)).as("rsv %d", rsv).isEqualTo(CloseCodes.PROTOCOL_ERROR);
            }
        }
    }

    @Test
    void reservedOpcodesClose1002() throws Exception {
        for (int opcode : new int[] {0x3, 0x7, 0xB, 0xF}) {
            try (WsTestClient c = join()) {
                c.sendFrame(true, 0, opcode, new byte[0]);
                assertThat(c.readCloseCode()).as("opcode %d", opcode).isEqualTo(CloseCodes.PROTOCOL_ERROR);
            }
        }
    }

    @Test
    void unmaskedClientFramesClose1002() throws Exception {
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/ws/room", -1, false)) {
            c.sendText("not masked");
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    /** Reads the server's close frame, then asserts that the server closed the TCP connection after it. */
    private static int closeCodeThenEof(WsTestClient c) throws IOException {
        WsTestClient.Frame frame = c.read();
        assertThat(frame.isClose())
                .as("a close frame, got opcode %d", frame.opcode())
                .isTrue();
        assertThat(c.isClosedByPeer()).as("TCP closed after the close frame").isTrue();
        return frame.closeCode();
    }

    private static byte[] closePayload(int code, byte... reason) {
        byte[] payload = new byte[2 + reason.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(reason, 0, payload, 2, reason.length);
        return payload;
    }

    @Test
    void invalidCloseCodesGetAClose1002ThenTheTcpClose() throws Exception {
        int[] invalid = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
        for (int code : invalid) {
            try (WsTestClient bystander = join();
                    WsTestClient c = joinSame()) {
                c.sendClose(code);
                assertThat(closeCodeThenEof(c)).as("close code %d", code).isEqualTo(CloseCodes.PROTOCOL_ERROR);
                bystanderStillServed(bystander);
            }
        }
    }

    @Test
    void validCloseCodesAreEchoedThenTheTcpClose() throws Exception {
        int[] valid = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
        for (int code : valid) {
            try (WsTestClient c = join()) {
                c.sendClose(code);
                assertThat(closeCodeThenEof(c)).as("close code %d", code).isEqualTo(code);
            }
        }
    }

    @Test
    void aCloseWithoutPayloadIsEchoedWithoutPayload() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(true, 0, 0x8, new byte[0]);
            WsTestClient.Frame frame = c.read();
            assertThat(frame.isClose()).isTrue();
            assertThat(frame.payload()).isEmpty();
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void aOneByteClosePayloadGetsAClose1002() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(true, 0, 0x8, new byte[] {0x03});
            assertThat(closeCodeThenEof(c)).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    @Test
    void aCloseReasonThatIsNotUtf8GetsAClose1007() throws Exception {
        byte[][] reasons = {
            {(byte) 0xC3, (byte) 0x28}, // bad continuation byte
            {'o', 'k', (byte) 0xF0, (byte) 0x9F}, // truncated sequence
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
            {(byte) 0xC0, (byte) 0x80} // overlong NUL
        };
        for (byte[] reason : reasons) {
            try (WsTestClient c = join()) {
                c.sendFrame(true, 0, 0x8, closePayload(1000, reason));
                assertThat(closeCodeThenEof(c)).isEqualTo(CloseCodes.INVALID_PAYLOAD);
            }
        }
    }

    @Test
    void aCloseWithAUtf8ReasonIsEchoed() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(true, 0, 0x8, closePayload(1000, "bye \u00e9\u20ac".getBytes(StandardCharsets.UTF_8)));
            WsTestClient.Frame frame = c.read();
            assertThat(frame.closeCode()).isEqualTo(1000);
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void aContinuationWithoutAStartCloses1002() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(true, 0, 0x0, "orphan".getBytes(StandardCharsets.UTF_8));
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    @Test
    void aFragmentedControlFrameCloses1002() throws Exception {
        try (WsTestClient c = join()) {
            c.sendFrame(false, 0, 0x9, new byte[] {1});
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    /**
     * A valid message and a protocol violation in one TCP write (Autobahn 3.2, 4.1.3-4, 4.2.3-4,
     * 5.15, 6.x): the message is published before the violation is read, and its sender, subscribed
     * to the channel, gets it before the close frame. What the peer sent after the violation is
     * not: the next frame after the close, if any, is none of its messages.
     */
    @Nested
    class AMessageThenAViolationInOneRead {
        private final byte[] hello = WsTestClient.encode(true, true, 0, 0x1, "hello".getBytes(StandardCharsets.UTF_8));
        private final byte[] after = WsTestClient.encode(true, true, 0, 0x1, "after".getBytes(StandardCharsets.UTF_8));

        /** Sends hello, the violation and another message in one write; hello first, then the close. */
        private void echoThenClose(byte[] violation, int code) throws IOException {
            try (WsTestClient bystander = join();
                    WsTestClient c = joinSame()) {
                c.sendInOneWrite(hello, violation, after);

                WsTestClient.Frame first = c.read();
                assertThat(first.opcode())
                        .as("the echo first, got opcode %d%s", first.opcode(), first.isClose() ? " (close)" : "")
                        .isEqualTo(0x1);
                assertThat(first.text()).isEqualTo("hello");
                assertThat(closeCodeThenEof(c)).isEqualTo(code);
                assertThat(bystander.readText()).isEqualTo("hello");
                bystanderStillServed(bystander);
            }
        }

        @Test
        void reservedBitsWithoutAnExtension() throws Exception {
            echoThenClose(
                    WsTestClient.encode(true, true, 2, 0x1, "x".getBytes(StandardCharsets.UTF_8)),
                    CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void aReservedDataOpcode() throws Exception {
            echoThenClose(WsTestClient.encode(true, true, 0, 0x5, new byte[0]), CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void aReservedControlOpcode() throws Exception {
            echoThenClose(WsTestClient.encode(true, true, 0, 0xB, new byte[0]), CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void anUnmaskedFrame() throws Exception {
            echoThenClose(
                    WsTestClient.encode(false, true, 0, 0x1, "x".getBytes(StandardCharsets.UTF_8)),
                    CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void aContinuationWithNothingToContinue() throws Exception {
            echoThenClose(
                    WsTestClient.encode(true, false, 0, 0x0, "x".getBytes(StandardCharsets.UTF_8)),
                    CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void anInvalidCloseCode() throws Exception {
            echoThenClose(
                    WsTestClient.encode(true, true, 0, 0x8, new byte[] {0x03, (byte) 0xE7}), CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void invalidUtf8() throws Exception {
            echoThenClose(
                    WsTestClient.encode(true, true, 0, 0x1, new byte[] {'o', 'k', (byte) 0xC3, (byte) 0x28}),
                    CloseCodes.INVALID_PAYLOAD);
        }

        @Test
        void aFrameOverTheLimit() throws Exception {
            echoThenClose(WsTestClient.encode(true, true, 0, 0x2, new byte[MAX + 1]), CloseCodes.MESSAGE_TOO_BIG);
        }
    }

    @Test
    void aValidCloseIsEchoed() throws Exception {
        try (WsTestClient c = join()) {
            c.sendClose(1000);
            assertThat(c.readCloseCode()).isEqualTo(1000);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.channelCount() == 0);
    }
}
