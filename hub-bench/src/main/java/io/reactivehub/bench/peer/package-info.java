/** Reference servers the hub is compared with: a minimal broadcast server written directly on Netty. */
@NullMarked
package io.reactivehub.bench.peer;

import org.jspecify.annotations.NullMarked;
