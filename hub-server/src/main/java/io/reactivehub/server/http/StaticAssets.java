package io.reactivehub.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * The browser client ({@code /hub.js} and its TypeScript declarations {@code /hub.d.ts}) and the chat
 * demo page ({@code /demo/}), served from the classpath. A fixed map of URL paths to resources (no
 * path is ever built from the request, so nothing can traverse), read once at startup; GET and HEAD
 * only; public (no token needed: they are the same for everyone). Answers carry an ETag and
 * {@code Cache-Control: no-cache}, so browsers revalidate and get a 304 when nothing changed.
 * Thread-safe.
 */
final class StaticAssets {
    private static final String BASE = "/io/reactivehub/server/web/";
    private static final String JS = "text/javascript; charset=utf-8";
    /** The demo page runs only its own script and style, and talks to any WebSocket it is pointed at. */
    static final String DEMO_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record Asset(byte[] body, String contentType, String etag, boolean page) {}

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    StaticAssets() {
        add("/hub.js", "hub.js", JS, false);
        add("/hub.d.ts", "hub.d.ts", "application/typescript; charset=utf-8", false);
        // The page names its script and style by absolute path: /demo and /demo/ both work.
        add("/demo", "demo/index.html", "text/html; charset=utf-8", true);
        add("/demo/", "demo/index.html", "text/html; charset=utf-8", true);
        add("/demo/index.html", "demo/index.html", "text/html; charset=utf-8", true);
        add("/demo/demo.js", "demo/demo.js", JS, false);
        add("/demo/demo.css", "demo/demo.css", "text/css; charset=utf-8", false);
    }

    private void add(String path, String resource, String contentType, boolean page) {
        byte[] body;
        try (InputStream in = StaticAssets.class.getResourceAsStream(BASE + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + BASE + resource);
            }
            body = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assets.put(path, new Asset(body, contentType, etag(body), page));
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code path} is one of the assets. */
    boolean serves(String path) {
        return assets.containsKey(path);
    }

    /** Adds a GET and a HEAD route per asset. */
    HttpServerRoutes register(HttpServerRoutes routes) {
        HttpServerRoutes r = routes;
        for (Map.Entry<String, Asset> e : assets.entrySet()) {
            Asset asset = e.getValue();
            r = r.get(e.getKey(), (req, res) -> serve(req, res, asset, true))
                    .head(e.getKey(), (req, res) -> serve(req, res, asset, false));
        }
        return r;
    }

    private static Publisher<Void> serve(HttpServerRequest req, HttpServerResponse res, Asset asset, boolean body) {
        res.header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .header(HttpHeaderNames.ETAG, asset.etag())
                .header("X-Content-Type-Options", "nosniff");
        if (asset.page()) {
            // The page's URL may carry a token (?token=): never send it on as a referrer.
            res.header("Content-Security-Policy", DEMO_CSP).header("Referrer-Policy", "no-referrer");
        }
        if (matches(req.requestHeaders().get(HttpHeaderNames.IF_NONE_MATCH), asset.etag())) {
            return res.status(HttpResponseStatus.NOT_MODIFIED).send();
        }
        res.header(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(asset.body().length));
        return body ? res.sendByteArray(Mono.just(asset.body())) : res.send();
    }

    /** {@code If-None-Match}: a list of entity tags (weak ones compare equal too) or {@code *}. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals("*") || t.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
