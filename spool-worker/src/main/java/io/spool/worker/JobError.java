package io.spool.worker;

/**
 * Why an attempt failed, as carried in events and in the headers of a dead-lettered job.
 *
 * @param exceptionClass the exception's class name
 * @param message        its message, or null
 * @param stackSummary   the exception and its causes, a few frames each, one per line
 * @param attempts       attempts made, the failing one included
 */
public record JobError(String exceptionClass, String message, String stackSummary, int attempts) {
}
