package io.spool.worker;

/**
 * Published to the join queue when a child job is finished, before it is acknowledged.
 *
 * @param parentId  the parent job
 * @param childId   the finished child
 * @param succeeded true when it succeeded, false when it was dead-lettered
 * @param error     why it died, or null
 */
record ChildDone(String parentId, String childId, boolean succeeded, JobError error) {

    static final String TYPE = "spool.child-done";
}
