package io.spool.broker.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code spool policy clear NAME}: removes a policy; the queues it applied to lose it at once. */
@Command(name = "clear", mixinStandardHelpOptions = true,
        description = "Remove a policy; what it matched falls back to the next policy, or none.")
final class PolicyClearCommand extends ManagementCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "Policy name.")
    String name;

    @Override
    void run(ManagementClient client, PrintWriter out) {
        ManagementClient.Reply r = client.delete("/api/policies/" + vhostSegment() + "/" + ManagementClient.segment(name));
        switch (r.status()) {
            case 204 -> out.println("cleared policy '" + name + "' in vhost '" + management.vhost + "'");
            case 404 -> throw new CommandFailure("no policy '" + name + "' in vhost '" + management.vhost + "'");
            default -> throw new CommandFailure("the broker refused: " + r.reason());
        }
    }
}
