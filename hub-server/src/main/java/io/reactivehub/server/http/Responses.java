package io.reactivehub.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivehub.server.protocol.HubJson;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/** The server's plain HTTP answers: a line of text, or JSON. */
final class Responses {
    private Responses() {}

    static Publisher<Void> text(HttpServerResponse res, HttpResponseStatus status, String line) {
        return res.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .sendString(Mono.just(line + "\n"));
    }

    static Mono<Void> json(HttpServerResponse res, HttpResponseStatus status, ObjectNode body) {
        return json(res, status, HubJson.text(body));
    }

    static Mono<Void> json(HttpServerResponse res, HttpResponseStatus status, String body) {
        return Mono.from(res.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .sendString(Mono.just(body)));
    }
}
