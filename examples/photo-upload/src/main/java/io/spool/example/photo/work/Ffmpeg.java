package io.spool.example.photo.work;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code ffmpeg} and {@code ffprobe} programs (Debian's ffmpeg package has both), found on
 * the PATH. Videos are processed only where they are; photos never need them.
 */
public final class Ffmpeg {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 600;

    private final Path ffmpeg;
    private final Path ffprobe;

    private Ffmpeg(Path ffmpeg, Path ffprobe) {
        this.ffmpeg = ffmpeg;
        this.ffprobe = ffprobe;
    }

    /** Both programs from the directories of a PATH value, or empty if either is missing. */
    public static Optional<Ffmpeg> onPath(String path) {
        Optional<Path> ffmpeg = find("ffmpeg", path);
        Optional<Path> ffprobe = find("ffprobe", path);
        return ffmpeg.isPresent() && ffprobe.isPresent()
                ? Optional.of(new Ffmpeg(ffmpeg.get(), ffprobe.get()))
                : Optional.empty();
    }

    /** As {@link #onPath(String)} with this process's PATH. */
    public static Optional<Ffmpeg> onPath() {
        return onPath(System.getenv().getOrDefault("PATH", ""));
    }

    private static Optional<Path> find(String program, String path) {
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public Path ffmpegPath() {
        return ffmpeg;
    }

    /** What ffprobe says of a file's first video stream, or null if it finds none. */
    public VideoFacts probe(Path file, String sha256) throws IOException, InterruptedException {
        Result r = run(List.of(ffprobe.toString(), "-v", "error", "-select_streams", "v:0",
                "-show_entries", "stream=width,height,codec_name:format=duration,format_name", "-of", "json",
                file.toString()));
        if (r.exitCode != 0) {
            return null;
        }
        JsonNode root = JSON.readTree(r.output);
        JsonNode stream = root.path("streams").path(0);
        if (stream.isMissingNode() || !stream.has("width")) {
            return null;
        }
        double seconds = root.path("format").path("duration").asDouble(0);
        return new VideoFacts(stream.path("width").asInt(), stream.path("height").asInt(),
                root.path("format").path("format_name").asText("") + "/" + stream.path("codec_name").asText(""),
                Math.round(seconds * 1000), sha256);
    }

    /** An H.264 MP4 at most {@code height} pixels high (never enlarged), with the audio if any. */
    public void rendition(Path input, Path output, int height) throws IOException, InterruptedException {
        // Even dimensions: H.264 in 4:2:0 needs them.
        String scale = "scale=-2:'min(" + height + ",trunc(ih/2)*2)'";
        transcode(input, output, List.of("-map", "0:v:0", "-map", "0:a:0?", "-vf", scale,
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"));
    }

    /** A JPEG of a representative frame (ffmpeg's thumbnail filter), at most {@code height} high. */
    public void poster(Path input, Path output, int height) throws IOException, InterruptedException {
        transcode(input, output, List.of("-vf", "thumbnail,scale=-2:'min(" + height + ",trunc(ih/2)*2)'",
                "-frames:v", "1", "-q:v", "3"));
    }

    /**
     * Runs ffmpeg into a temporary file beside {@code output} and moves it there when ffmpeg
     * succeeds: a half-written rendition is never served, and a rerun starts clean.
     */
    private void transcode(Path input, Path output, List<String> options) throws IOException, InterruptedException {
        String name = output.getFileName().toString();
        Path tmp = output.resolveSibling(name.replaceFirst("(\\.[a-z0-9]+)$", ".tmp$1"));
        List<String> command = new ArrayList<>(List.of(ffmpeg.toString(), "-nostdin", "-y", "-v", "error",
                "-i", input.toString()));
        command.addAll(options);
        command.add(tmp.toString());
        try {
            Result r = run(command);
            if (r.exitCode != 0) {
                throw new IOException("ffmpeg exited with " + r.exitCode + " making " + name + ": " + r.output.strip());
            }
            Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try (InputStream out = p.getInputStream()) {
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException(command.getFirst() + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), text);
        } finally {
            p.destroyForcibly();
        }
    }
}
