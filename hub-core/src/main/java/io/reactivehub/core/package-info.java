/**
 * The embeddable hub's API: {@link io.reactivehub.core.Hub} fans messages out to channel
 * subscribers, each behind its own bounded queue; messages, listeners, results, errors and
 * options. Brokers live in {@code broker} and {@code redis}, wire encodings in {@code codec}, the
 * Java client in {@code client}; {@code internal} is not API.
 */
@NullMarked
package io.reactivehub.core;

import org.jspecify.annotations.NullMarked;
