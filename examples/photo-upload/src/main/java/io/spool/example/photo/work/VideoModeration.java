package io.spool.example.photo.work;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The video counterpart of {@link ImageModeration}: not on the block list, a video stream that
 * ffprobe can read, sane frame dimensions and a length of at most ten minutes.
 */
public final class VideoModeration {

    static final long MAX_DURATION_MS = 10 * 60 * 1000;

    private final BlockList blockList;
    private final Ffmpeg ffmpeg;

    public VideoModeration(BlockList blockList, Ffmpeg ffmpeg) {
        this.blockList = blockList;
        this.ffmpeg = ffmpeg;
    }

    public Verdict<VideoFacts> check(Path file) throws IOException, InterruptedException {
        String sha256 = Hashes.sha256(file);
        if (blockList.contains(sha256)) {
            return new Verdict.Rejected<>("the file is on the block list (SHA-256 " + sha256 + ")", sha256);
        }
        VideoFacts facts = ffmpeg.probe(file, sha256);
        if (facts == null) {
            return new Verdict.Rejected<>("not a video ffmpeg can read", sha256);
        }
        String insane = ImageModeration.insaneDimensions(facts.width(), facts.height());
        if (insane != null) {
            return new Verdict.Rejected<>("video frames " + insane, sha256);
        }
        if (facts.durationMs() <= 0 || facts.durationMs() > MAX_DURATION_MS) {
            return new Verdict.Rejected<>("video length " + facts.durationMs() / 1000.0
                    + " s is outside 0 to " + MAX_DURATION_MS / 60_000 + " minutes", sha256);
        }
        return new Verdict.Accepted<>(facts);
    }
}
