package io.spool.example.photo.store;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What an upload is, by the client's content type; the workers check that it really is. */
public enum Kind {
    PHOTO,
    VIDEO;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Kind fromJson(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
