package io.spool.broker.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code spool policy set|list|clear}: the policies of a running broker, through its management
 * API (as {@code rabbitmqctl set_policy} and friends do for RabbitMQ). The API has no
 * authentication yet, and the broker binds it to loopback unless told otherwise.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Set, list and clear the policies of a running broker (through its management API).",
        subcommands = {PolicySetCommand.class, PolicyListCommand.class, PolicyClearCommand.class})
final class PolicyCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: says which exist, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("spool: policy needs a subcommand: set, list or clear");
        spec.commandLine().usage(spec.commandLine().getErr());
        return spec.commandLine().getCommandSpec().exitCodeOnInvalidInput();
    }
}
