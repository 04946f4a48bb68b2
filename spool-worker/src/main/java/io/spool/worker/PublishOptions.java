package io.spool.worker;

/**
 * How one job is published. Immutable; start from {@link #none()}, {@link #dedupKey(String)} or
 * {@link #jobId(String)}.
 *
 * @param jobId    the job id to use, or null for a new random one
 * @param dedupKey the deduplication key, or null for the job id: sent as the
 *                 {@code x-deduplication-header} header, which brokers that deduplicate (Spool,
 *                 RabbitMQ with the rabbitmq-message-deduplication plugin) use to drop a second
 *                 job with the same key while the first is still queued or running; handlers see
 *                 it as {@link JobContext#dedupKey()}
 */
public record PublishOptions(String jobId, String dedupKey) {

    private static final PublishOptions NONE = new PublishOptions(null, null);

    public PublishOptions {
        if (jobId != null && jobId.isBlank()) {
            throw new IllegalArgumentException("job id must not be blank");
        }
        if (dedupKey != null && dedupKey.isBlank()) {
            throw new IllegalArgumentException("dedup key must not be blank");
        }
    }

    public static PublishOptions none() {
        return NONE;
    }

    public static PublishOptions dedupKey(String key) {
        return new PublishOptions(null, key);
    }

    public static PublishOptions jobId(String id) {
        return new PublishOptions(id, null);
    }

    public PublishOptions withDedupKey(String key) {
        return new PublishOptions(jobId, key);
    }

    public PublishOptions withJobId(String id) {
        return new PublishOptions(id, dedupKey);
    }
}
