package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
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

    @Test
    void invalidCloseCodesClose1002() throws Exception {
        for (int code : new int[] {0, 999, 1004, 1005, 1006, 1016, 2000, 2999}) {
            try (WsTestClient c = join()) {
                c.sendClose(code);
                // Netty fails the connection: a 1002 close, or (once the client has begun the
                // closing handshake) the TCP connection closed at once; both are RFC 6455 7.1.7.
                assertThat(c.readCloseCode()).as("close code %d", code).isIn(CloseCodes.PROTOCOL_ERROR, -1);
            }
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

    @Test
    void aValidCloseIsEchoed() throws Exception {
        try (WsTestClient c = join()) {
            c.sendClose(1000);
            assertThat(c.readCloseCode()).isEqualTo(1000);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.channelCount() == 0);
    }
}
