package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.server.config.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** permessage-deflate: negotiated, compressed once and shared, inflated inbound, bombs refused. */
class CompressionIT {
    private static final String OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    private ServerFixture fixture = new ServerFixture();

    @AfterEach
    void stop() {
        fixture.close();
    }

    private WsTestClient join(String channel, boolean deflate, int subscribers) throws Exception {
        WsTestClient c = deflate
                ? WsTestClient.connect(fixture.port(), "/ws/" + channel, OFFER)
                : WsTestClient.connect(fixture.port(), "/ws/" + channel);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> fixture.hub.subscriberCount(ChannelName.of(channel)) == subscribers);
        return c;
    }

    static byte[] deflate(byte[] input) {
        Deflater deflater = new Deflater(6, true);
        deflater.setInput(input);
        byte[] out = new byte[input.length + 1024];
        int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
        deflater.end();
        return Arrays.copyOf(out, n - 4);
    }

    static byte[] inflate(byte[] compressed) throws Exception {
        Inflater inflater = new Inflater(true);
        byte[] input = Arrays.copyOf(compressed, compressed.length + 4);
        input[compressed.length + 2] = (byte) 0xFF;
        input[compressed.length + 3] = (byte) 0xFF;
        inflater.setInput(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = inflater.inflate(buf)) > 0) {
            out.write(buf, 0, n);
        }
        inflater.end();
        return out.toByteArray();
    }

    @Test
    void theServerAcceptsTheOfferWithoutContextTakeover() throws Exception {
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/ws/a", OFFER)) {
            assertThat(c.handshake.toLowerCase())
                    .contains("sec-websocket-extensions: permessage-deflate")
                    .contains("server_no_context_takeover");
        }
    }

    @Test
    void aLargeMessageIsCompressedOnceForEveryDeflateClientAndSentPlainToOthers() throws Exception {
        String text = "the quick brown fox jumps over the lazy dog. ".repeat(50);
        try (WsTestClient plain = join("z", false, 1);
                WsTestClient d1 = join("z", true, 2);
                WsTestClient d2 = join("z", true, 3)) {
            plain.sendText(text);
            WsTestClient.Frame f1 = d1.read();
            WsTestClient.Frame f2 = d2.read();
            WsTestClient.Frame f0 = plain.read();
            assertThat(f1.rsv()).isEqualTo(4);
            assertThat(f1.payload().length).isLessThan(text.length() / 5);
            assertThat(f2.payload()).isEqualTo(f1.payload());
            assertThat(new String(inflate(f1.payload()), StandardCharsets.UTF_8))
                    .isEqualTo(text);
            assertThat(f0.rsv()).isZero();
            assertThat(f0.text()).isEqualTo(text);
        }
    }

    @Test
    void aSmallMessageGoesOutUncompressed() throws Exception {
        try (WsTestClient d = join("s", true, 1)) {
            d.sendText("short");
            WsTestClient.Frame frame = d.read();
            assertThat(frame.rsv()).isZero();
            assertThat(frame.text()).isEqualTo("short");
        }
    }

    @Test
    void compressedClientMessagesAreInflatedBeforeTheyAreBroadcast() throws Exception {
        String text = "compressed by the client ".repeat(20);
        try (WsTestClient plain = join("in", false, 1);
                WsTestClient d = join("in", true, 2)) {
            d.sendFrame(true, 4, 0x1, deflate(text.getBytes(StandardCharsets.UTF_8)));
            assertThat(plain.readText()).isEqualTo(text);
        }
    }

    @Test
    void aDeflateBombIsClosedWith1009() throws Exception {
        try (WsTestClient bystander = join("bomb", false, 1);
                WsTestClient d = join("bomb", true, 2)) {
            byte[] bomb = deflate(new byte[10 * 1024 * 1024]); // 10 MiB of zeros, ~10 KiB compressed
            assertThat(bomb.length).isLessThan(ServerConfig.DEFAULT_MAX_MESSAGE_SIZE);
            d.sendFrame(true, 4, 0x2, bomb);
            assertThat(d.readCloseCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
            bystander.sendText("fine");
            assertThat(bystander.readText()).isEqualTo("fine");
        }
    }

    @Test
    void withCompressionOffTheOfferIsDeclined() throws Exception {
        fixture.close();
        fixture = new ServerFixture(ServerConfig.DEFAULT.withCompression(ServerConfig.Compression.OFF));
        try (WsTestClient d = join("off", true, 1)) {
            assertThat(d.handshake.toLowerCase()).doesNotContain("permessage-deflate");
            String text = "x".repeat(1000);
            d.sendText(text);
            WsTestClient.Frame frame = d.read();
            assertThat(frame.rsv()).isZero();
            assertThat(frame.text()).isEqualTo(text);
        }
    }
}
