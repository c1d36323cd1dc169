/**
 * How one node's hub works inside, not API: the registry of channels with local subscribers, each
 * a shared multicast sink; the recovery buffer that joins history and live messages without gap or
 * duplicate; and the bounded per-subscriber queue behind {@code Hub.subscribe}.
 */
@NullMarked
package io.reactivehub.core.internal;

import org.jspecify.annotations.NullMarked;
