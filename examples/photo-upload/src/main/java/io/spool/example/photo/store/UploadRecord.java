package io.spool.example.photo.store;

import java.util.List;

/** Everything the database holds about one upload; {@code outcome} is null while processing. */
public record UploadRecord(Upload upload, Outcome outcome, List<Output> outputs) {

    public Status status() {
        return outcome == null ? Status.PROCESSING : outcome.status();
    }
}
