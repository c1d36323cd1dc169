package io.reactivehub.server.session;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.reactivehub.core.Codec;

/**
 * What a protocol does with a {@link Session}. Implementations keep no per-connection state (the
 * session holds it): the hub protocol has one instance for the whole server, the raw protocol one
 * per upgrade, naming its channel. Called on the connection's event loop, one call at a time per
 * session.
 */
public interface ProtocolHandler {

    /**
     * The codec of this protocol's pushes on a connection, chosen once when it opens.
     *
     * @param compressed whether the connection negotiated permessage-deflate
     */
    Codec codec(boolean compressed);

    /** The connection is set up (pipeline, writer, codec); called once, before the first frame. */
    void opened(Session session);

    /**
     * A complete, validated data frame (text or binary) or a pong (ping and close frames are handled
     * below); released after this returns.
     */
    void onFrame(Session session, WebSocketFrame frame);

    /**
     * The server subscribes the connection to a channel (server API): true when the protocol can
     * (the hub protocol sends a {@code subscribed} push once confirmed); the raw protocol cannot.
     * Within the subscription limit; an existing subscription stays as it is.
     */
    default boolean subscribeByServer(Session session, io.reactivehub.core.ChannelName channel) {
        return false;
    }

    /** The server ends the connection's subscription to a channel (server API); true when it had one. */
    default boolean unsubscribeByServer(Session session, io.reactivehub.core.ChannelName channel) {
        return false;
    }

    /** A short label for logs: the protocol and what the session does with it. */
    String describe(Session session);
}
