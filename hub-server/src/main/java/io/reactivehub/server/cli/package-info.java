/** The server jar's command line: {@code serve} (the default) and {@code client URL}. */
@NullMarked
package io.reactivehub.server.cli;

import org.jspecify.annotations.NullMarked;
