package io.reactivehub.server.transport;

/**
 * Names of the handlers in a hub connection's pipeline, in order from the socket. Netty's and
 * Reactor Netty's own handlers keep their names ({@code reactor.left.httpCodec},
 * {@link #WEBSOCKET_DECODER}, {@link #WEBSOCKET_ENCODER}, {@code reactor.right.reactiveBridge});
 * the hub's are added after the WebSocket decoder, before the reactive bridge.
 */
public final class PipelineNames {
    /** The WebSocket frame decoder (masking, opcodes, control frames): Netty's, swapped for a {@link HubFrameDecoder}. */
    public static final String WEBSOCKET_DECODER = "wsdecoder";
    /** Netty's WebSocket frame encoder: the hub's already-encoded frames enter the pipeline below it. */
    public static final String WEBSOCKET_ENCODER = "wsencoder";
    /** {@link FrameGuards}: close frame bodies and where RSV bits may be set, after the encoder, before any extension decoder. */
    public static final String WIRE_RULES = "hub.wireRules";
    /** permessage-deflate negotiation and inflation (only when offered and enabled). */
    public static final String EXTENSIONS = "hub.wsExtensions";
    /** {@link FrameGuards}: reserved bits, failed inflation. */
    public static final String RESERVED_BITS_GUARD = "hub.rsvGuard";
    /** {@link FrameGuards}: UTF-8 of text messages across fragments. */
    public static final String UTF8_GUARD = "hub.utf8Guard";
    /** {@link FrameGuards}: reassembly of fragments up to the maximum message size. */
    public static final String AGGREGATOR = "hub.aggregator";
    /** {@link WritabilityListener}: resumes the {@link ConnectionWriter}. */
    public static final String WRITABILITY = "hub.writability";
    /** {@code Heartbeat}: pings a silent peer, closes a dead one. */
    public static final String HEARTBEAT = "hub.heartbeat";

    private PipelineNames() {}
}
