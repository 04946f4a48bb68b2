package io.spool.worker;

/** An event subscription; closing it stops the listener and deletes its queue. */
public interface Subscription extends AutoCloseable {

    @Override
    void close();
}
