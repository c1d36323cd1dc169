package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.server.config.ConnectionLimits;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Connections that have not upgraded: request deadline, keep-alive timeout, caps in total and per address. */
class PendingConnectionsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String PARTIAL = "GET /hub HTTP/1.1\r\nHost: x\r\n";

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private ServerFixture fixture;

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    private void start(Duration handshake, Duration keepAlive, int maxPending, int maxPendingPerIp) {
        fixture = new ServerFixture(ServerConfig.DEFAULT
                .withApiKey("test-api-key")
                .withLimits(ConnectionLimits.DEFAULT.withHandshake(handshake, keepAlive, maxPending, maxPendingPerIp)));
    }

    private Socket open(String send) throws IOException {
        Socket socket = new Socket();
        cleanup.add(socket);
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        socket.connect(new InetSocketAddress("127.0.0.1", fixture.port()), (int) TIMEOUT.toMillis());
        socket.getOutputStream().write(send.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** Reads until the server closes (bounded by the socket timeout); what it sent before. */
    private static String untilClosed(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder got = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                got.append((char) b);
            }
        } catch (SocketException reset) {
            // closed by the server with a reset: closed all the same
        }
        return got.toString();
    }

    private double metric(String line) throws IOException {
        String metrics = WsTestClient.httpGet(fixture.port(), "/metrics", false);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " ([0-9.E+-]+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    void requestsThatNeverFinishAreClosedAfterTheHandshakeTimeout() throws Exception {
        start(Duration.ofSeconds(1), Duration.ofSeconds(30), 10_000, 1000);
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            slow.add(open(PARTIAL));
        }
        // A request body that stops short is cut the same way.
        Socket body = open("POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey test-api-key\r\n"
                + "Content-Length: 100\r\n\r\n{\"channel\"");

        for (Socket s : slow) {
            assertThat(untilClosed(s)).isEmpty();
        }
        assertThat(untilClosed(body)).isEmpty();
        assertThat(metric("hub_http_timeouts_total{kind=\"request\"}")).isGreaterThanOrEqualTo(51);
    }

    @Test
    void anHttpConnectionIdleBetweenRequestsIsClosedAfterTheKeepAliveTimeout() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(1), 10_000, 1000);
        Socket keepAlive = open("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(untilClosed(keepAlive)).startsWith("HTTP/1.1 200").contains("\"status\":\"UP\"");
        assertThat(metric("hub_http_timeouts_total{kind=\"keep_alive\"}")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void overThePerAddressCapNewConnectionsAreClosedAtOnceAndUpgradesLeaveTheCount() throws Exception {
        start(Duration.ofSeconds(60), Duration.ofSeconds(60), 10_000, 5);
        // Upgraded connections are not pending: more than the cap may be open.
        for (int i = 0; i < 8; i++) {
            cleanup.add(WsTestClient.connect(fixture.port(), "/hub"));
        }
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            slow.add(open(PARTIAL));
        }
        await().atMost(TIMEOUT)
                .until(() -> fixture.server.connections() == 8 && fixture.server.pendingConnections() == 5);

        Socket sixth = open("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(untilClosed(sixth)).as("closed before anything is read").isEmpty();

        for (Socket s : slow) {
            s.close();
        }
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> metric("hub_http_pending_connections") == 1.0); // the scrape itself
        assertThat(metric("hub_connections_rejected_total{reason=\"max_pending_connections_per_ip\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(WsTestClient.httpGet(fixture.port(), "/health", false)).startsWith("HTTP/1.1 200");
    }

    @Test
    void overTheTotalCapNewConnectionsAreClosedAtOnce() throws Exception {
        start(Duration.ofSeconds(60), Duration.ofSeconds(60), 3, 1000);
        for (int i = 0; i < 3; i++) {
            open(PARTIAL);
        }
        await().atMost(TIMEOUT).until(() -> fixture.server.pendingConnections() == 3);

        Socket fourth = open("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(untilClosed(fourth)).as("closed before anything is read").isEmpty();
    }
}
