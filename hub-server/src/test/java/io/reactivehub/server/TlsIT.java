package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivehub.server.config.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a real TLS server (the tests' self-signed RSA certificate) agrees to. */
class TlsIT {
    private static final String LEGACY = "TLS_RSA_WITH_AES_128_CBC_SHA";
    private ServerFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private void start(@Nullable List<String> ciphers) throws Exception {
        Path cert = Path.of(getClass().getResource("/tls/cert.pem").toURI());
        Path key = Path.of(getClass().getResource("/tls/key.pem").toURI());
        fixture = new ServerFixture(ServerConfig.DEFAULT.withTls(
                ciphers == null
                        ? new ServerConfig.TlsFiles(cert, key)
                        : new ServerConfig.TlsFiles(cert, key, ciphers)));
    }

    /** Handshakes with the server, offering only {@code ciphers} (all the client has when null) and {@code protocols}. */
    private SSLSocket handshake(@Nullable String[] ciphers, String... protocols) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new TrustAll()}, null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.setSoTimeout(WsTestClient.READ_TIMEOUT_MS);
        socket.connect(new InetSocketAddress("127.0.0.1", fixture.port()), WsTestClient.READ_TIMEOUT_MS);
        if (ciphers != null) {
            socket.setEnabledCipherSuites(ciphers);
        }
        if (protocols.length > 0) {
            socket.setEnabledProtocols(protocols);
        }
        socket.startHandshake();
        return socket;
    }

    @Test
    void aDefaultClientGetsTls13AndTheHealthEndpointAnswers() throws Exception {
        start(null);
        try (SSLSocket socket = handshake(null)) {
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
            socket.getOutputStream()
                    .write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aTls12ClientGetsAForwardSecretAeadSuite() throws Exception {
        start(null);
        try (SSLSocket socket = handshake(null, "TLSv1.2")) {
            assertThat(socket.getSession().getCipherSuite())
                    .startsWith("TLS_ECDHE_")
                    .doesNotContain("CBC");
        }
    }

    @Test
    void aClientOfferingOnlyRsaKeyExchangeWithCbcIsRefused() throws Exception {
        start(null);
        assertThatThrownBy(() -> handshake(new String[] {LEGACY}, "TLSv1.2").close())
                .isInstanceOf(SSLException.class);
    }

    @Test
    void theCipherSuitesCanBeChanged() throws Exception {
        start(List.of(LEGACY));
        try (SSLSocket socket = handshake(new String[] {LEGACY}, "TLSv1.2")) {
            assertThat(socket.getSession().getCipherSuite()).isEqualTo(LEGACY);
        }
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
