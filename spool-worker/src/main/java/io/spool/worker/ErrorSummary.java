package io.spool.worker;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Makes a {@link JobError} from an exception: enough to see what went wrong in a dead-letter
 * queue or an event, small enough for a message header (a few frames per exception, a few causes).
 */
final class ErrorSummary {

    private static final int FRAMES_PER_EXCEPTION = 6;
    private static final int MAX_CAUSES = 4;
    private static final int MAX_CHARS = 4_000;

    private ErrorSummary() {
    }

    static JobError of(Throwable t, int attempts) {
        return new JobError(t.getClass().getName(), t.getMessage(), stack(t), attempts);
    }

    static String stack(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        int causes = 0;
        for (Throwable e = t; e != null && seen.add(e) && causes <= MAX_CAUSES; e = e.getCause(), causes++) {
            if (e != t) {
                sb.append("Caused by: ");
            }
            sb.append(e).append('\n');
            StackTraceElement[] frames = e.getStackTrace();
            for (int i = 0; i < Math.min(FRAMES_PER_EXCEPTION, frames.length); i++) {
                sb.append("\tat ").append(frames[i]).append('\n');
            }
            if (frames.length > FRAMES_PER_EXCEPTION) {
                sb.append("\t... ").append(frames.length - FRAMES_PER_EXCEPTION).append(" more\n");
            }
        }
        if (sb.length() > MAX_CHARS) {
            sb.setLength(MAX_CHARS);
            sb.append("\n\t[cut]");
        }
        return sb.toString().stripTrailing();
    }
}
