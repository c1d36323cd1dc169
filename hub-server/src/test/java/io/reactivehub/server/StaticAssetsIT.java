package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** /hub.js, /hub.d.ts and /demo/ as plain HTTP: headers, revalidation, nothing else served. */
class StaticAssetsIT {
    private final HttpClient http = HttpClient.newHttpClient();
    private ServerFixture node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theClientIsServedAsJavaScriptWithAnEtagAndRevalidated() throws Exception {
        node = new ServerFixture();
        HttpResponse<String> js = get("/hub.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
        assertThat(js.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(js.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(js.body()).contains("export class Hub");
        String etag = js.headers().firstValue("etag").orElseThrow();

        HttpResponse<String> again = get("/hub.js", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();

        HttpResponse<String> head = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/hub.js"))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("content-length"))
                .hasValue(js.body().getBytes().length);
        assertThat(head.body()).isEmpty();

        HttpResponse<String> types = get("/hub.d.ts");
        assertThat(types.headers().firstValue("content-type")).hasValue("application/typescript; charset=utf-8");
        assertThat(types.body()).contains("export declare class Hub");
    }

    @Test
    void theDemoPageHasAContentSecurityPolicyAndItsFiles() throws Exception {
        node = new ServerFixture();
        for (String path : List.of("/demo", "/demo/", "/demo/index.html")) {
            HttpResponse<String> page = get(path);
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("content-security-policy"))
                    .hasValueSatisfying(csp ->
                            assertThat(csp).contains("default-src 'self'").contains("connect-src 'self' ws: wss:"));
            assertThat(page.headers().firstValue("referrer-policy")).hasValue("no-referrer");
            assertThat(page.body()).contains("<script type=\"module\" src=\"/demo/demo.js\">");
        }
        assertThat(get("/demo/demo.css").headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
        assertThat(get("/demo/demo.js").body()).contains("from '/hub.js'");
    }

    @Test
    void onlyTheListedFilesAreServedAndOnlyToGetAndHead() throws Exception {
        node = new ServerFixture();
        for (String path : List.of(
                "/demo/../pom.xml",
                "/demo/%2e%2e/hub.js",
                "/demo/hub.js",
                "/logback.xml",
                "/io/reactivehub/server/web/hub.js",
                "/demo/demo.js/")) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        }
        HttpResponse<String> post = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/hub.js"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
    }

    @Test
    void withoutTheDemoNeitherTheClientNorThePageIsServed() throws Exception {
        node = new ServerFixture(ServerConfig.builder().demo(false).build());
        for (String path : List.of("/hub.js", "/hub.d.ts", "/demo/", "/demo/demo.js")) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }
}
