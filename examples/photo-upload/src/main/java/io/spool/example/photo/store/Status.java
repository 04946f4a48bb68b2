package io.spool.example.photo.store;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where an upload stands, as {@code GET /photos/{id}} and the status stream tell it. */
public enum Status {
    /** Uploaded; the workers have not recorded an outcome yet (queued, running or retrying). */
    PROCESSING,
    /** Every output made and recorded. */
    DONE,
    /** Moderation turned it down; retrying would not change that. */
    REJECTED,
    /** Processing kept failing until the job was dead-lettered. */
    FAILED;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Status fromJson(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }

    public boolean isFinal() {
        return this != PROCESSING;
    }
}
