package io.reactivehub.core.broker;

import java.util.concurrent.ThreadLocalRandom;

/** Epochs: opaque names of a channel's numbering, random so that a restarted stream never reuses one. */
public final class Epochs {
    private Epochs() {}

    /** A fresh epoch: 63 random bits in base 36. */
    public static String next() {
        return Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }
}
