/**
 * The occupancy webhook: this node's occupancy reports, batched, signed with HMAC-SHA256 and POSTed
 * to {@code --webhook}, with retries and a bounded queue.
 */
@NullMarked
package io.reactivehub.server.webhook;

import org.jspecify.annotations.NullMarked;
