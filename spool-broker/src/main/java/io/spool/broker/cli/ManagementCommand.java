package io.spool.broker.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * A command that asks a running broker's management API for something. Output goes to the
 * command line's writers (so tests can read it); a failure is one line on stderr, exit code 1.
 */
abstract class ManagementCommand implements Callable<Integer> {

    @Mixin
    ManagementOptions management;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            run(management.client(), out);
            return 0;
        } catch (CommandFailure e) {
            err.println("spool: " + e.getMessage());
            return e.exitCode();
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Does the work, printing results to {@code out}; throws {@link CommandFailure} when it cannot. */
    abstract void run(ManagementClient client, PrintWriter out);

    /** The vhost's part of a path: "/" is "%2F". */
    String vhostSegment() {
        return ManagementClient.segment(management.vhost);
    }
}
