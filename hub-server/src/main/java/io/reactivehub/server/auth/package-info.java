/** JWT authentication at the upgrade and channel permissions from the token's claims. */
@NullMarked
package io.reactivehub.server.auth;

import org.jspecify.annotations.NullMarked;
