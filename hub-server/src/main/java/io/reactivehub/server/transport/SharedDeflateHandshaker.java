package io.reactivehub.server.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Negotiates permessage-deflate so that compressed messages can be shared: the server always
 * answers with {@code server_no_context_takeover} (RFC 7692 section 7.1.1.1 lets it add the
 * parameter unasked), so each message compresses independently and one compressed frame serves
 * every subscriber. An offer asking for a smaller server window than 15 bits is declined (the JDK's
 * deflater has a fixed window): that client simply gets uncompressed messages.
 *
 * <p>Inbound, Netty's decoder inflates the client's messages (with or without the client's
 * context takeover), never far beyond {@code maxInflated} bytes (see {@link #inflaterCap}). Outbound frames reach the socket
 * already encoded (see {@code ConnectionWriter}); the extension's encoder only passes through the
 * few frames written as objects (close, pong), which are never compressed.
 */
public final class SharedDeflateHandshaker implements WebSocketServerExtensionHandshaker {
    public static final String PERMESSAGE_DEFLATE = "permessage-deflate";

    private final PerMessageDeflateServerExtensionHandshaker netty;

    public SharedDeflateHandshaker(int maxInflated) {
        // Netty's handshaker builds the decoder: level 6, no server window limit accepted, client
        // context takeover allowed, and the inflated-size cap that defuses deflate bombs.
        this.netty =
                new PerMessageDeflateServerExtensionHandshaker(6, false, 15, true, false, inflaterCap(maxInflated));
    }

    /**
     * The cap given to Netty's inflater, above {@code maxInflated}: its JdkZlibDecoder gives up as
     * soon as its buffer, at the cap, has less room than max(512, twice the compressed bytes not
     * yet read), so a cap of exactly the maximum message size refused messages well under it (with
     * a 1 KiB maximum, anything that inflated to over 512 bytes). With this headroom no message of
     * at most {@code maxInflated} bytes reaches that point; the exact limit is FrameGuards' (1009),
     * and a deflate bomb still stops at about three times the maximum.
     */
    static int inflaterCap(int maxInflated) {
        return (int) Math.min(Integer.MAX_VALUE - 8, 3L * maxInflated + 512);
    }

    @Override
    public @Nullable WebSocketServerExtension handshakeExtension(WebSocketExtensionData offer) {
        if (!PERMESSAGE_DEFLATE.equals(offer.name())) {
            return null;
        }
        Map<String, String> parameters = offer.parameters();
        String serverWindow = parameters.get("server_max_window_bits");
        if (serverWindow != null && !serverWindow.equals("15")) {
            return null;
        }
        // Let Netty accept the offer as if the client had asked for no server context takeover.
        Map<String, String> asked = new HashMap<>(parameters);
        asked.put("server_no_context_takeover", null);
        asked.remove("server_max_window_bits");
        WebSocketServerExtension inflating = netty.handshakeExtension(new WebSocketExtensionData(offer.name(), asked));
        if (inflating == null) {
            return null;
        }
        boolean clientNoContext = parameters.containsKey("client_no_context_takeover");
        return new SharedDeflate(inflating, clientNoContext);
    }

    /** Whether the connection negotiated the extension (its pass-through encoder is in the pipeline). */
    public static boolean isNegotiated(Channel channel) {
        return channel.pipeline().get(PassThroughEncoder.class) != null;
    }

    /** The negotiated extension on one connection. */
    static final class SharedDeflate implements WebSocketServerExtension {
        private final WebSocketServerExtension inflating;
        private final boolean clientNoContext;

        SharedDeflate(WebSocketServerExtension inflating, boolean clientNoContext) {
            this.inflating = inflating;
            this.clientNoContext = clientNoContext;
        }

        @Override
        public int rsv() {
            return RSV1;
        }

        @Override
        public WebSocketExtensionEncoder newExtensionEncoder() {
            return new PassThroughEncoder();
        }

        @Override
        public WebSocketExtensionDecoder newExtensionDecoder() {
            return inflating.newExtensionDecoder();
        }

        @Override
        public WebSocketExtensionData newReponseData() {
            Map<String, String> parameters = new HashMap<>();
            parameters.put("server_no_context_takeover", null);
            if (clientNoContext) {
                parameters.put("client_no_context_takeover", null);
            }
            return new WebSocketExtensionData(PERMESSAGE_DEFLATE, parameters);
        }
    }

    /** Marks a connection that negotiated the extension; frames written as objects pass unchanged. */
    static final class PassThroughEncoder extends WebSocketExtensionEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
            out.add(frame.retain());
        }
    }
}
