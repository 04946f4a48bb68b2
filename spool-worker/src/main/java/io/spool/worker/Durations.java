package io.spool.worker;

import java.time.Duration;
import java.util.Objects;

/** Checks of duration settings, with messages that name the setting. */
final class Durations {

    private Durations() {
    }

    static Duration requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return d;
    }
}
