/** JMH benchmarks of hub-core's hot path, with I/O stubbed out. */
@NullMarked
package io.reactivehub.bench.jmh;

import org.jspecify.annotations.NullMarked;
