package io.spool.worker;

import java.nio.charset.StandardCharsets;

/** Checks of queue and exchange names against AMQP's limit (a short string: 255 bytes). */
final class Names {

    private Names() {
    }

    static String require(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " name must not be blank");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 200) {
            // 200, not 255: the library appends suffixes such as ".retry.300000" to queue names.
            throw new IllegalArgumentException(what + " name is longer than 200 bytes: " + name);
        }
        return name;
    }
}
