/**
 * Brokers and presence: how messages are numbered, kept and carried to every node's channels
 * ({@link io.reactivehub.core.broker.Broker}), and who is subscribed where
 * ({@link io.reactivehub.core.broker.PresenceManager}), with their in-process implementations.
 */
@NullMarked
package io.reactivehub.core.broker;

import org.jspecify.annotations.NullMarked;
