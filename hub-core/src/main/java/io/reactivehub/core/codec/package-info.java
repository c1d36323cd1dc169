/** Wire encodings of messages: raw WebSocket frames and hub-protocol push frames, encoded once per message. */
@NullMarked
package io.reactivehub.core.codec;

import org.jspecify.annotations.NullMarked;
