package io.spool.example.photo.work;

/**
 * Moderation's answer. A rejection is final (the same file would be rejected again), so it is
 * recorded as the outcome rather than thrown and retried.
 */
public sealed interface Verdict<T> {

    record Accepted<T>(T value) implements Verdict<T> {
    }

    /** @param sha256 the file's hash, recorded with the rejection; null if it could not be read */
    record Rejected<T>(String reason, String sha256) implements Verdict<T> {
    }
}
