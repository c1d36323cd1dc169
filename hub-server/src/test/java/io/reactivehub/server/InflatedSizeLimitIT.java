package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * permessage-deflate and --max-message-size: a compressed message is refused with 1009 only when
 * it inflates to more than the maximum (found by FrameFuzzIT: Netty's inflater, capped at the
 * maximum, refused anything over half of a 1 KiB maximum).
 */
class InflatedSizeLimitIT {
    private static final int MAX = 1024;
    private static final int RSV1 = 4;
    private final ServerFixture fixture = new ServerFixture(ServerConfig.DEFAULT.withMaxMessageSize(MAX));

    @AfterEach
    void stop() {
        fixture.close();
    }

    private WsTestClient connect() throws IOException {
        WsTestClient c = WsTestClient.connect(
                fixture.port(), "/ws/inflate", -1, true, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
        assertThat(c.handshake.toLowerCase()).contains("permessage-deflate");
        return c;
    }

    private static byte[] content(boolean compressible, int size) {
        byte[] bytes = new byte[size];
        if (compressible) {
            Arrays.fill(bytes, (byte) 'a');
        } else {
            new Random(size).nextBytes(bytes);
        }
        return bytes;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aMessageThatInflatesToTheMaximumIsDelivered(boolean compressible) throws Exception {
        for (int size : new int[] {513, 900, 1000, MAX}) {
            byte[] content = content(compressible, size);
            byte[] deflated = CompressionIT.deflate(content);
            if (deflated.length > MAX) {
                continue; // one raw frame over the maximum: the decoder's 1009
            }
            try (WsTestClient c = connect()) {
                c.sendFrame(true, RSV1, 0x2, deflated);
                WsTestClient.Frame echo = c.read();
                assertThat(echo.isClose())
                        .as("size %d: close %d", size, echo.closeCode())
                        .isFalse();
                byte[] received = (echo.rsv() & RSV1) != 0 ? CompressionIT.inflate(echo.payload()) : echo.payload();
                assertThat(received).as("size %d", size).isEqualTo(content);
            }
        }
    }

    @Test
    void aFragmentedMessageThatInflatesToTheMaximumIsDelivered() throws Exception {
        try (WsTestClient c = connect()) {
            byte[] deflated = CompressionIT.deflate(content(false, MAX - 24));
            int half = deflated.length / 2;
            c.sendFrame(false, RSV1, 0x2, Arrays.copyOf(deflated, half));
            c.sendFrame(true, 0, 0x0, Arrays.copyOfRange(deflated, half, deflated.length));
            WsTestClient.Frame echo = c.read();
            assertThat(echo.isClose()).as("close %d", echo.closeCode()).isFalse();
        }
    }

    @Test
    void aFirstFragmentThatInflatesPastTheMaximumCloses1009AtOnce() throws Exception {
        try (WsTestClient c = connect()) {
            c.sendFrame(false, RSV1, 0x1, CompressionIT.deflate(content(true, 2 * MAX)));
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aMessageThatInflatesPastTheMaximumCloses1009(boolean compressible) throws Exception {
        for (int size : new int[] {MAX + 1, 3 * MAX, 100 * MAX}) {
            try (WsTestClient c = connect()) {
                byte[] deflated = CompressionIT.deflate(content(compressible, size));
                if (deflated.length > MAX) {
                    continue; // one raw frame over the maximum: the decoder's 1009, tested elsewhere
                }
                c.sendFrame(true, RSV1, 0x2, deflated);
                assertThat(c.readCloseCode()).as("size %d", size).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
                assertThat(c.isClosedByPeer()).isTrue();
            }
        }
        assertThat(WsTestClient.httpGet(fixture.port(), "/metrics", false)).contains("hub_oversized_messages_total");
    }
}
