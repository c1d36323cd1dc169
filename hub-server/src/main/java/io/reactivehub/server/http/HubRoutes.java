package io.reactivehub.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Hub;
import io.reactivehub.core.codec.DeflateCodec;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.core.codec.RawFrameCodec;
import io.reactivehub.server.HubControl;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.protocol.HubProtocol;
import io.reactivehub.server.protocol.RawProtocol;
import io.reactivehub.server.session.ProtocolHandler;
import io.reactivehub.server.session.Session;
import io.reactivehub.server.session.SessionContext;
import io.reactivehub.server.session.SessionRegistry;
import io.reactivehub.server.session.UserControl;
import io.reactivehub.server.transport.PipelineNames;
import io.reactivehub.server.transport.SharedDeflateHandshaker;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * A hub's HTTP face: the WebSocket endpoints (raw protocol on {@code /ws} and {@code /ws/{channel}},
 * hub protocol on {@code /hub}), the server API under {@code /api}, {@code /health},
 * {@code /metrics}, and (unless turned off) the browser client {@code /hub.js} and the demo page
 * {@code /demo/}. {@link #register} mounts them on any Reactor Netty {@link HttpServerRoutes};
 * {@code HubServer} is the usual way to run them. Thread-safe.
 */
public final class HubRoutes {
    private static final Logger log = LoggerFactory.getLogger(HubRoutes.class);
    private static final java.util.Set<String> POST_PATHS = java.util.Set.of(
            "/api/publish",
            "/api/broadcast",
            "/api/subscribe",
            "/api/unsubscribe",
            "/api/disconnect",
            "/api/refresh",
            "/api/batch");
    /** The raw protocol's channel for a bare {@code /ws}. */
    public static final ChannelName DEFAULT_CHANNEL = ChannelName.of("default");

    private final Hub hub;
    private final ServerConfig config;
    private final SessionContext context;
    private final Admission admission;
    private final ServerApi api;
    private final HubControl control;
    private final Disposable controlListener;
    private final PendingConnections pending;
    private final HubProtocol hubProtocol;
    private final Codec rawDeflate;
    private final SharedDeflateHandshaker deflate;
    private final WebsocketServerSpec spec;
    private final @Nullable StaticAssets assets;
    private final ConnectCall connectHook;
    private volatile boolean draining;

    public HubRoutes(Hub hub, ServerConfig config) {
        this.hub = hub;
        this.config = config;
        SessionRegistry sessions = new SessionRegistry();
        HubMetrics metrics = new HubMetrics(hub, sessions::size);
        this.context = new SessionContext(hub, config, sessions, metrics);
        this.admission = new Admission(config, sessions, metrics, () -> draining);
        this.control = new HubControl(hub);
        this.controlListener = hub.onControl(new UserControl(sessions));
        this.api =
                new ServerApi(hub, control, config.apiKey(), config.maxMessageSize(), config.maxReplyBytes(), metrics);
        this.pending = new PendingConnections(config.limits(), metrics);
        // One compressing codec per protocol for the whole server: every connection that negotiated
        // permessage-deflate shares the one compressed frame of a message.
        int minSize = config.compression().minSize();
        this.hubProtocol = new HubProtocol(new DeflateCodec(HubPushCodec.INSTANCE, minSize));
        this.rawDeflate = new DeflateCodec(RawFrameCodec.INSTANCE, minSize);
        this.deflate = new SharedDeflateHandshaker(config.maxMessageSize());
        this.spec = WebsocketServerSpec.builder()
                .maxFramePayloadLength(config.maxMessageSize())
                .handlePing(false)
                .compress(false)
                .build();
        this.assets = config.demo() ? new StaticAssets() : null;
        this.connectHook = new ConnectCall(config);
    }

    /** Adds every route of the hub (with {@link ServerConfig#demo()}, the browser client and demo page too). */
    public HttpServerRoutes register(HttpServerRoutes routes) {
        HttpServerRoutes hubRoutes = routes.get("/ws", (req, res) -> raw(req, res, DEFAULT_CHANNEL))
                .get("/ws/{channel}", this::rawChannel)
                .get("/hub", (req, res) -> upgrade(req, res, hubProtocol))
                .post("/api/publish", api::publish)
                .get("/api/channels/{channel}/presence", api::presence)
                .get("/api/channels/{channel}/history", api::history)
                .get("/api/channels/{channel}/presence_stats", (req, res) -> api.get("presence_stats", req, res))
                .get("/api/channels", (req, res) -> api.get("channels", req, res))
                .get("/api/info", (req, res) -> api.get("info", req, res))
                .get("/api/openapi.json", api::openApi)
                .post("/api/broadcast", (req, res) -> api.post("broadcast", req, res))
                .post("/api/subscribe", (req, res) -> api.post("subscribe", req, res))
                .post("/api/unsubscribe", (req, res) -> api.post("unsubscribe", req, res))
                .post("/api/disconnect", (req, res) -> api.post("disconnect", req, res))
                .post("/api/refresh", (req, res) -> api.post("refresh", req, res))
                .post("/api/batch", api::batch)
                .get("/health", this::health)
                .get("/health/live", this::live)
                .get("/health/ready", this::ready)
                .get("/metrics", this::metrics);
        HttpServerRoutes all = assets == null ? hubRoutes : assets.register(hubRoutes);
        // Last: a known path asked with another method.
        return all.route(req -> allowedMethod(req.uri()) != null, this::methodNotAllowed);
    }

    /**
     * For each new connection, once its HTTP codec is in place (e.g. from
     * {@code HttpServer.doOnChannelInit}): counts it among the connections not upgraded, closes it
     * over the caps, and guards its requests with the handshake and keep-alive timeouts.
     */
    public void initChannel(Channel channel) {
        pending.accept(channel);
    }

    /** Connections accepted and not upgraded now. */
    public int pendingConnections() {
        return pending.size();
    }

    /** Releases what the routes hold outside the server (the JVM meters' listeners). */
    public void close() {
        controlListener.dispose();
        context.metrics().close();
        config.hooks().close();
    }

    /** The server API's operations in Java. */
    public HubControl control() {
        return control;
    }

    /** The open sessions. */
    /** The server's meters. */
    public HubMetrics metrics() {
        return context.metrics();
    }

    public SessionRegistry sessions() {
        return context.sessions();
    }

    /** From now on every upgrade is refused with 503 and {@code /health} says DRAINING. */
    public void drain() {
        draining = true;
    }

    /** The method a known path answers (whatever the query), or null for an unknown path. */
    private @Nullable String allowedMethod(String uri) {
        if (assets != null && assets.serves(new QueryStringDecoder(uri).rawPath())) {
            return "GET, HEAD";
        }
        if (isWebSocketPath(uri)) {
            return HttpMethod.GET.name();
        }
        String path = new QueryStringDecoder(uri).rawPath();
        if (POST_PATHS.contains(path)) {
            return HttpMethod.POST.name();
        }
        if (path.equals("/health")
                || path.equals("/health/live")
                || path.equals("/health/ready")
                || path.equals("/metrics")
                || path.equals("/api/channels")
                || path.equals("/api/info")
                || path.equals("/api/openapi.json")
                || (path.startsWith("/api/channels/")
                        && (path.endsWith("/presence")
                                || path.endsWith("/history")
                                || path.endsWith("/presence_stats")))) {
            return HttpMethod.GET.name();
        }
        return null;
    }

    /** {@code /ws}, {@code /ws/{channel}} or {@code /hub}, whatever the query. */
    private static boolean isWebSocketPath(String uri) {
        String path = new QueryStringDecoder(uri).rawPath();
        return path.equals("/hub")
                || path.equals("/ws")
                || (path.startsWith("/ws/") && path.indexOf('/', 4) < 0 && path.length() > 4);
    }

    /**
     * 405 with {@code Allow} for a known path asked with the wrong method (a WebSocket opening
     * handshake is a GET, RFC 6455 section 4.1; a publish a POST).
     */
    private Publisher<Void> methodNotAllowed(HttpServerRequest req, HttpServerResponse res) {
        String allowed = allowedMethod(req.uri());
        return Responses.text(
                res.header(HttpHeaderNames.ALLOW, allowed),
                HttpResponseStatus.METHOD_NOT_ALLOWED,
                isWebSocketPath(req.uri())
                        ? "a WebSocket endpoint: open it with a GET upgrade request"
                        : "use " + allowed + " here");
    }

    private Publisher<Void> rawChannel(HttpServerRequest req, HttpServerResponse res) {
        String name = req.param("channel");
        if (name == null || !ChannelName.isValid(name)) {
            return Responses.text(
                    res,
                    HttpResponseStatus.BAD_REQUEST,
                    "invalid channel name: 1 to " + ChannelName.MAX_LENGTH
                            + " characters from A-Z a-z 0-9 _ - . : @ = ~ and one # (as %23)");
        }
        return raw(req, res, ChannelName.of(name));
    }

    /** Upgrades to the raw protocol on {@code channel}. */
    public Publisher<Void> raw(HttpServerRequest req, HttpServerResponse res, ChannelName channel) {
        return upgrade(req, res, new RawProtocol(channel, rawDeflate));
    }

    /** Admission, then the upgrade into a session speaking {@code protocol}. */
    private Publisher<Void> upgrade(HttpServerRequest req, HttpServerResponse res, ProtocolHandler protocol) {
        Admission.Result result = admission.admit(req);
        if (result instanceof Admission.Refused refused) {
            return refused.send(res);
        }
        Admission.Admitted admitted = (Admission.Admitted) result;
        String ip = Admission.ip(req);
        Session session = new Session(context, protocol, ip, admitted.principal());
        Hooks.Connect hook = config.hooks().connect();
        if (admitted.principal() == null && hook != null) {
            // The upgrade continues on the connection's own event loop: started from the hook's
            // thread, a frame the client sends right after the 101 could reach the HTTP decoder
            // before the WebSocket one replaced it.
            EventLoop[] loop = new EventLoop[1];
            req.withConnection(c -> loop[0] = c.channel().eventLoop());
            return connectHook
                    .ask(hook, req, session, protocol, ip, admitted.token())
                    .publishOn(Schedulers.fromExecutor(loop[0]))
                    .then(Mono.defer(() -> Mono.from(open(req, res, session))));
        }
        return open(req, res, session);
    }

    private Publisher<Void> open(HttpServerRequest req, HttpServerResponse res, Session session) {
        if (config.compression().enabled()) {
            offerCompression(req);
        }
        return res.sendWebsocket(session::handle, spec);
    }

    /**
     * Puts a permessage-deflate negotiator in front of the upgrade (as Reactor Netty does for its
     * own compression): it reads the offer now and answers it in the 101 response.
     */
    private void offerCompression(HttpServerRequest req) {
        String offered = req.requestHeaders().get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
        if (offered == null || !offered.contains(SharedDeflateHandshaker.PERMESSAGE_DEFLATE)) {
            return;
        }
        req.withConnection(connection -> {
            ChannelPipeline pipeline = connection.channel().pipeline();
            WebSocketServerExtensionHandler extensions = new WebSocketServerExtensionHandler(deflate);
            DefaultFullHttpRequest copy = new DefaultFullHttpRequest(req.version(), req.method(), req.uri());
            copy.headers().set(req.requestHeaders());
            try {
                extensions.channelRead(pipeline.context(NettyPipeline.ReactiveBridge), copy);
                pipeline.addAfter(NettyPipeline.HttpCodec, PipelineNames.EXTENSIONS, extensions);
            } catch (Exception e) {
                log.warn("cannot negotiate compression, continuing without: {}", e.toString());
            }
        });
    }

    /**
     * Liveness: 200 whenever the process answers HTTP, draining or not (restarting it would not
     * help anything).
     */
    private Publisher<Void> live(HttpServerRequest req, HttpServerResponse res) {
        return Responses.json(res, HttpResponseStatus.OK, "{\"status\":\"UP\"}");
    }

    /**
     * Readiness: 200 while the hub can serve (not shutting down, and its broker can publish: with
     * Redis, its connections are up); 503 otherwise, saying which.
     */
    private Publisher<Void> ready(HttpServerRequest req, HttpServerResponse res) {
        boolean broker = hub.brokerAvailable();
        String status = draining ? "DRAINING" : broker ? "READY" : "NOT_READY";
        String body = "{\"status\":\"" + status + "\",\"broker\":\"" + (broker ? "UP" : "DOWN") + "\"}";
        return Responses.json(
                res, !draining && broker ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    /**
     * 200 with a small JSON status while serving, 503 while shutting down. It says the server
     * answers, not that the broker works: {@code /health/ready} does.
     */
    private Publisher<Void> health(HttpServerRequest req, HttpServerResponse res) {
        String body = "{\"status\":\"" + (draining ? "DRAINING" : "UP") + "\",\"connections\":"
                + context.sessions().size() + ",\"channels\":" + hub.channelCount() + "}";
        return Responses.json(res, draining ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK, body);
    }

    /** Prometheus text exposition of the hub_* meters. */
    private Publisher<Void> metrics(HttpServerRequest req, HttpServerResponse res) {
        return res.header(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                .sendString(Mono.fromCallable(context.metrics()::scrape));
    }
}
