package io.spool.example.photo.store;

import java.time.Instant;

/** An upload as the web app recorded it when it answered 202. */
public record Upload(String id, Kind kind, String filename, long bytes, Instant uploadedAt) {
}
