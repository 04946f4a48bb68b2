package io.spool.example.photo.store;

import java.time.Instant;

/**
 * What the workers concluded about an upload: recorded once, by the first job run that gets
 * there; a redelivered run of the same job finds it and records nothing more.
 *
 * @param reason     why it was rejected or failed; null when done
 * @param width      pixels, as the original has them; null when not known (not an image)
 * @param durationMs length of a video; null for photos
 * @param jobId      the job that recorded it
 * @param attempt    that job's attempt number (1 for the first)
 * @param worker     which worker process ("pid@host")
 */
public record Outcome(Status status, String reason, Integer width, Integer height, String format, String sha256,
                      Long durationMs, String jobId, int attempt, String worker, Instant recordedAt) {
}
