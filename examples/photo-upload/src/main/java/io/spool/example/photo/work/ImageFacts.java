package io.spool.example.photo.work;

/** What moderation learned about an image file: its size in pixels, its format and its hash. */
public record ImageFacts(int width, int height, String format, String sha256) {
}
