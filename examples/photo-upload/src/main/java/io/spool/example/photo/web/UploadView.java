package io.spool.example.photo.web;

import io.spool.example.photo.store.Kind;
import io.spool.example.photo.store.Outcome;
import io.spool.example.photo.store.Output;
import io.spool.example.photo.store.Status;
import io.spool.example.photo.store.UploadRecord;
import java.util.List;

/**
 * An upload as {@code GET /photos/{id}} and the status stream show it. Metadata comes with the
 * outcome; thumbnail, rendition and poster URLs once the files are made (smallest first).
 */
public record UploadView(String id, Kind kind, String filename, long bytes, Status status, String reason,
                         Integer width, Integer height, String format, String sha256, Long durationMs,
                         List<String> thumbnails, List<String> renditions, String poster) {

    static UploadView of(UploadRecord r) {
        Outcome o = r.outcome();
        String id = r.upload().id();
        List<String> thumbnails = urls(id, r.outputs(), Output.THUMBNAIL);
        List<String> renditions = urls(id, r.outputs(), Output.RENDITION);
        List<String> posters = urls(id, r.outputs(), Output.POSTER);
        return new UploadView(id, r.upload().kind(), r.upload().filename(), r.upload().bytes(), r.status(),
                o == null ? null : o.reason(), o == null ? null : o.width(), o == null ? null : o.height(),
                o == null ? null : o.format(), o == null ? null : o.sha256(), o == null ? null : o.durationMs(),
                thumbnails, renditions.isEmpty() ? null : renditions, posters.isEmpty() ? null : posters.getFirst());
    }

    private static List<String> urls(String id, List<Output> outputs, String role) {
        return outputs.stream().filter(o -> o.role().equals(role)).map(o -> MediaFiles.url(id, o.name())).toList();
    }
}
