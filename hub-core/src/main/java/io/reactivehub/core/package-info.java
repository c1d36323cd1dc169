/**
 * The embeddable hub: {@link io.reactivehub.core.Hub} fans messages out to channel subscribers,
 * each behind its own bounded {@link io.reactivehub.core.DeliveryQueue}.
 */
@NullMarked
package io.reactivehub.core;

import org.jspecify.annotations.NullMarked;
