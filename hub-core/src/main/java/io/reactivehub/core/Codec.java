package io.reactivehub.core;

import io.netty.buffer.ByteBuf;

/**
 * Turns a {@link Message} into the exact bytes a connection writes, WebSocket frame header
 * included. Called once per message and codec through {@link Message#encoded(Codec)}; must be
 * thread-safe and side-effect free. Implementations return buffers that are freed by the garbage
 * collector (see {@link io.reactivehub.core.codec.WireBuffers}), so callers never release the original.
 */
@FunctionalInterface
public interface Codec {
    ByteBuf encode(Message message);
}
