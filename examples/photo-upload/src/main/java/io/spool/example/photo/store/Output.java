package io.spool.example.photo.store;

/**
 * A file made from an upload, in its directory of the {@link MediaStore}.
 *
 * @param name  file name, such as {@code thumb-320.jpg}
 * @param role  {@code thumbnail}, {@code rendition} or {@code poster}
 */
public record Output(String name, String role, int width, int height, long bytes) {

    public static final String THUMBNAIL = "thumbnail";
    public static final String RENDITION = "rendition";
    public static final String POSTER = "poster";
}
