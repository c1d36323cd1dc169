/** The load generator: fan-out throughput and latency against any raw broadcast WebSocket server. */
@NullMarked
package io.reactivehub.bench;

import org.jspecify.annotations.NullMarked;
