package io.spool.worker;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Published to the join queue when a handler that spawned children returns, before the children
 * are published: what the joiner needs to finish the parent once they are all done.
 *
 * @param parentId       the job that spawned the children
 * @param parentQueue    its queue, for its events
 * @param parentAttempt  the attempt that spawned them
 * @param grandparentId  the parent's own parent, told in turn when the parent is done; or null
 * @param children       the child job ids
 * @param followUpQueue  where the follow-up job goes, or null for none
 * @param followUpJob    the follow-up job's JSON, or null
 */
record JoinRecord(String parentId, String parentQueue, int parentAttempt, String grandparentId, List<String> children,
                  String followUpQueue, JsonNode followUpJob) {

    static final String TYPE = "spool.join";
}
