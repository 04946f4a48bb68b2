package io.spool.worker;

/**
 * A job was not published: not confirmed within the publish timeout, refused by the broker
 * (negative confirm, or no queue to route to), or not mappable to JSON. The message says which,
 * and whether the broker may still have stored it.
 */
public class PublishException extends RuntimeException {

    public PublishException(String message) {
        super(message);
    }

    public PublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
