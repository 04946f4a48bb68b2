package io.spool.example.photo.work;

/** What ffprobe told of a video: its frame size, container/codec, length and the file's hash. */
public record VideoFacts(int width, int height, String format, long durationMs, String sha256) {
}
