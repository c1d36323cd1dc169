package io.reactivehub.server;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** A real HTTP receiver on a free loopback port: records every POST, fails the first N with 503. */
final class WebhookReceiver implements AutoCloseable {
    /** One request as received: its body's bytes and its signature header. */
    record Received(byte[] body, String signature, int status) {}

    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final AtomicInteger failuresLeft;
    private final DisposableServer server;

    WebhookReceiver(int failFirst) {
        this.failuresLeft = new AtomicInteger(failFirst);
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes.post(
                        "/hook",
                        (req, res) -> req.receive()
                                .aggregate()
                                .asByteArray()
                                .defaultIfEmpty(new byte[0])
                                .flatMap(body -> {
                                    int status = failuresLeft.getAndDecrement() > 0 ? 503 : 204;
                                    String signature = req.requestHeaders().get("X-Hub-Signature-256", "");
                                    received.add(new Received(body, signature, status));
                                    return res.status(HttpResponseStatus.valueOf(status))
                                            .send()
                                            .then();
                                })
                                .then(Mono.empty())))
                .bindNow(Duration.ofSeconds(30));
    }

    String url() {
        return "http://127.0.0.1:" + server.port() + "/hook";
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
    }
}
