package io.spool.worker;

/**
 * Header names the library reads and writes, for tools that look at its messages (a dead-letter
 * viewer, a job written by hand). The job id is the AMQP {@code message-id} property.
 */
public final class Headers {

    /** The attempt the job is on (1 for the first); missing means 1. */
    public static final String ATTEMPT = "x-spool-attempt";

    /**
     * What the work queue deduplicates by (the name Spool and the rabbitmq-message-deduplication
     * plugin read): on the first attempt the dedup key, or the job id when the producer set none;
     * on attempt n after that, the same plus {@code "#" + n}, so that a retry arriving before the
     * failed attempt's ack has reached the broker is not taken for a duplicate of it.
     */
    public static final String DEDUPLICATION = "x-deduplication-header";

    /** The dedup key the producer set; absent when it set none. */
    public static final String DEDUP_KEY = "x-spool-dedup-key";

    /** The id of the job that spawned this one. */
    public static final String PARENT_ID = "x-spool-parent-id";

    /** On a dead-lettered job: the failing exception's class name. */
    public static final String ERROR_CLASS = "x-spool-error-class";

    /** On a dead-lettered job: the failing exception's message (absent when it had none). */
    public static final String ERROR_MESSAGE = "x-spool-error-message";

    /** On a dead-lettered job: the exception and its causes, a few frames each. */
    public static final String ERROR_STACK = "x-spool-error-stack";

    /** On a dead-lettered job: the attempts made. */
    public static final String ATTEMPTS = "x-spool-attempts";

    /** On a dead-lettered job: when it was parked, epoch milliseconds. */
    public static final String DEAD_AT = "x-spool-dead-at";

    private Headers() {
    }
}
