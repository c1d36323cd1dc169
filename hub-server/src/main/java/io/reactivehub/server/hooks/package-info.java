/**
 * Hooks: the application's say in what clients do (connect, refresh, subscribe, publish, rpc), as
 * reactive Java interfaces for an application that embeds the server ({@link Hooks#builder()}),
 * or as HTTP calls to another backend ({@link HttpHooks}).
 */
@NullMarked
package io.reactivehub.server.hooks;

import org.jspecify.annotations.NullMarked;
