package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 6455 section 4.2 on the WebSocket paths: the opening handshake is checked before the upgrade
 * and a faulty one gets an HTTP answer (400, 405, 426), never an upgrade or a silent close. Requests
 * are written byte for byte over a plain socket; each test changes one thing in a valid request.
 */
class HandshakeConformanceIT {
    /** The key and accept value of RFC 6455 section 1.3. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    private final ServerFixture fixture = new ServerFixture();

    @AfterEach
    void stop() {
        fixture.close();
    }

    /** A status code, the headers (names in lower case) and the body of one HTTP response. */
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** The request line and headers of a valid upgrade, one header replaced or removed. */
    private static final class Request {
        private final String method;
        private final String path;
        private final Map<String, String> headers = new LinkedHashMap<>();

        Request(String method, String path) {
            this.method = method;
            this.path = path;
            headers.put("Host", "127.0.0.1");
            headers.put("Upgrade", "websocket");
            headers.put("Connection", "Upgrade");
            headers.put("Sec-WebSocket-Key", KEY);
            headers.put("Sec-WebSocket-Version", "13");
        }

        /** Replaces a header; null removes it. */
        Request with(String name, String value) {
            if (value == null) {
                headers.remove(name);
            } else {
                headers.put(name, value);
            }
            return this;
        }

        byte[] bytes() {
            StringBuilder text = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            headers.forEach((name, value) ->
                    text.append(name).append(": ").append(value).append("\r\n"));
            return text.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        }
    }

    private static Request upgrade(String path) {
        return new Request("GET", path);
    }

    /** Sends the request and reads the response head, and the body when it has a length. */
    private Response send(Request request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(WsTestClient.READ_TIMEOUT_MS);
            socket.connect(new InetSocketAddress("127.0.0.1", fixture.port()), WsTestClient.READ_TIMEOUT_MS);
            socket.getOutputStream().write(request.bytes());
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            String length = headers.get("content-length");
            String body = status == 101 || length == null
                    ? ""
                    : new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
            return new Response(status, headers, body);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed before a response; read so far: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static void assertBadRequest(Response response, String reason) {
        assertThat(response.status()).as("status of %s", response).isEqualTo(400);
        assertThat(response.body()).contains(reason);
    }

    @Nested
    class AValidHandshake {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/hub", "/ws", "/ws/room"})
        void isUpgradedWithTheAcceptValueOfTheKey(String path) throws IOException {
            Response response = send(upgrade(path));

            assertThat(response.status()).isEqualTo(101);
            assertThat(response.header("Sec-WebSocket-Accept")).isEqualTo(ACCEPT);
            assertThat(response.header("Upgrade")).isEqualToIgnoringCase("websocket");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/hub", "/ws/room"})
        void acceptsHeaderTokensInAnyCaseAndInLists(String path) throws IOException {
            Response response =
                    send(upgrade(path).with("Upgrade", "WebSocket").with("Connection", "keep-alive, Upgrade"));

            assertThat(response.status()).isEqualTo(101);
            assertThat(response.header("Sec-WebSocket-Accept")).isEqualTo(ACCEPT);
        }
    }

    @Nested
    class TheKey {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/hub", "/ws", "/ws/room"})
        void missingIsRefusedWith400(String path) throws IOException {
            assertBadRequest(send(upgrade(path).with("Sec-WebSocket-Key", null)), "Sec-WebSocket-Key");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(
                strings = {
                    "", // empty
                    "dGhlIHNhbXBsZSBub25jZQ", // 16 bytes without the padding
                    "AAAAAAAAAAAAAAAAAAAA", // 15 bytes
                    "AAAAAAAAAAAAAAAAAAAAAAA=", // 17 bytes
                    "not base64 at all!!!!!==",
                    "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==" // two keys
                })
        void notSixteenBase64BytesIsRefusedWith400(String key) throws IOException {
            for (String path : new String[] {"/hub", "/ws/room"}) {
                assertBadRequest(send(upgrade(path).with("Sec-WebSocket-Key", key)), "Sec-WebSocket-Key");
            }
        }
    }

    @Nested
    class TheVersion {
        @ParameterizedTest(name = "version {0}")
        @ValueSource(strings = {"7", "8", "12", "14", "13, 8", "x"})
        void otherThan13IsRefusedWith426NamingVersion13(String version) throws IOException {
            for (String path : new String[] {"/hub", "/ws", "/ws/room"}) {
                Response response = send(upgrade(path).with("Sec-WebSocket-Version", version));

                assertThat(response.status()).as("%s on %s", version, path).isEqualTo(426);
                assertThat(response.header("Sec-WebSocket-Version")).isEqualTo("13");
            }
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/hub", "/ws/room"})
        void missingIsRefusedWith426NamingVersion13(String path) throws IOException {
            Response response = send(upgrade(path).with("Sec-WebSocket-Version", null));

            assertThat(response.status()).isEqualTo(426);
            assertThat(response.header("Sec-WebSocket-Version")).isEqualTo("13");
        }
    }

    @Nested
    class TheUpgradeAndConnectionHeaders {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/hub", "/ws", "/ws/room"})
        void aPlainGetIsRefusedWith426(String path) throws IOException {
            Request plain = new Request("GET", path)
                    .with("Upgrade", null)
                    .with("Connection", null)
                    .with("Sec-WebSocket-Key", null)
                    .with("Sec-WebSocket-Version", null);

            Response response = send(plain);

            assertThat(response.status()).isEqualTo(426);
            assertThat(response.header("Upgrade")).isEqualTo("websocket");
        }

        @ParameterizedTest(name = "Upgrade: {0}")
        @ValueSource(strings = {"h2c", "websocket2", "web socket"})
        void anUpgradeToAnotherProtocolIsRefusedWith426(String upgrade) throws IOException {
            for (String path : new String[] {"/hub", "/ws/room"}) {
                Response response = send(upgrade(path).with("Upgrade", upgrade));

                assertThat(response.status()).as("%s on %s", upgrade, path).isEqualTo(426);
                assertThat(response.header("Upgrade")).isEqualTo("websocket");
            }
        }

        @ParameterizedTest(name = "Connection: {0}")
        @ValueSource(strings = {"", "keep-alive", "close", "upgraded", "keep-alive upgrade"})
        void aConnectionHeaderWithoutTheUpgradeTokenIsRefusedWith400(String connection) throws IOException {
            for (String path : new String[] {"/hub", "/ws/room"}) {
                assertBadRequest(send(upgrade(path).with("Connection", connection)), "Connection");
            }
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/hub", "/ws/room"})
        void aMissingConnectionHeaderIsRefusedWith400(String path) throws IOException {
            assertBadRequest(send(upgrade(path).with("Connection", null)), "Connection");
        }
    }

    @Nested
    class TheMethod {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
        void otherThanGetIsRefusedWith405AllowingGet(String method) throws IOException {
            for (String path : new String[] {"/hub", "/ws", "/ws/room"}) {
                Response response = send(new Request(method, path).with("Content-Length", "0"));

                assertThat(response.status()).as("%s %s", method, path).isEqualTo(405);
                assertThat(response.header("Allow")).isEqualTo("GET");
            }
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/api/publish"})
        void otherPathsKeepTheirRoutes(String path) throws IOException {
            Response response = send(new Request("POST", path).with("Content-Length", "0"));

            assertThat(response.status()).isNotEqualTo(405);
        }
    }
}
