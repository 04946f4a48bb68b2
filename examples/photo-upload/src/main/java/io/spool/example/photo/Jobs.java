package io.spool.example.photo;

import io.spool.example.photo.work.VideoFacts;
import io.spool.worker.JobQueue;
import io.spool.worker.SpoolJobs;

/**
 * The job types and their queues. A job names a file by its path in the shared media directory:
 * the bytes stay on disk, the message stays small.
 *
 * <p>Queue names have no dots: lifecycle events are routed as {@code <queue>.<event>} on a topic
 * exchange, where a dot separates words.
 */
public final class Jobs {

    /** Make the thumbnails of an uploaded photo. Job id: the upload id. */
    public record Photo(String uploadId, String path) {
    }

    /** Check an uploaded video and fan out its renditions and poster. Job id: the upload id. */
    public record Video(String uploadId, String path) {
    }

    /** One rendition (or the poster) of a video: a child job of {@link Video}. */
    public record VideoPart(String uploadId, String path, String output, String role, int height) {
    }

    /** Runs once every part of a video is done: records the video as done ("live"). */
    public record VideoLive(String uploadId, VideoFacts facts) {
    }

    public static final String PHOTOS = "photos";
    public static final String VIDEOS = "videos";
    public static final String VIDEO_PARTS = "video-parts";
    public static final String VIDEOS_LIVE = "videos-live";

    public final JobQueue<Photo> photos;
    public final JobQueue<Video> videos;
    public final JobQueue<VideoPart> videoParts;
    public final JobQueue<VideoLive> videosLive;

    public Jobs(SpoolJobs jobs) {
        photos = jobs.queue(PHOTOS, Photo.class);
        videos = jobs.queue(VIDEOS, Video.class);
        videoParts = jobs.queue(VIDEO_PARTS, VideoPart.class);
        videosLive = jobs.queue(VIDEOS_LIVE, VideoLive.class);
    }

    /**
     * The upload a job belongs to: its own id for photos and videos, its parent's for the parts
     * and the follow-up of a video (the library names a child the parent's id plus ".n", and the
     * join's follow-up the parent's id plus ".then").
     */
    public static String uploadIdOf(String jobId, String parentId) {
        String id = parentId != null ? parentId : jobId;
        int dot = id.indexOf('.');
        return dot < 0 ? id : id.substring(0, dot);
    }
}
