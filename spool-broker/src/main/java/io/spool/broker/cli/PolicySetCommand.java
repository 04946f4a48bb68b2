package io.spool.broker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code spool policy set NAME PATTERN DEFINITION}: creates or replaces a policy; it applies at
 * once to the queues and exchanges it matches. The broker checks it and says what is wrong.
 */
@Command(name = "set", mixinStandardHelpOptions = true,
        description = "Create or replace a policy; it applies at once to existing queues and exchanges.")
final class PolicySetCommand extends ManagementCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "Policy name.")
    String name;

    @Parameters(index = "1", paramLabel = "PATTERN",
            description = "Regular expression searched for in queue and exchange names (anchor with ^ and $).")
    String pattern;

    @Parameters(index = "2", paramLabel = "DEFINITION",
            description = "JSON object of settings, e.g. '{\"max-length\": 1000, \"overflow\": \"reject-publish\"}'.")
    String definition;

    @Option(names = "--priority", defaultValue = "0", description = "Higher wins where policies overlap. Default: ${DEFAULT-VALUE}")
    int priority;

    @Option(names = "--apply-to", defaultValue = "all",
            description = "all, queues, classic_queues or exchanges. Default: ${DEFAULT-VALUE}")
    String applyTo;

    @Override
    void run(ManagementClient client, PrintWriter out) {
        Object parsed;
        try {
            parsed = ManagementClient.JSON.readValue(definition, Object.class);
        } catch (JsonProcessingException e) {
            throw new CommandFailure("DEFINITION is not valid JSON: " + e.getOriginalMessage(), 2);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("pattern", pattern);
        body.put("definition", parsed);
        body.put("priority", priority);
        body.put("apply-to", applyTo);
        ManagementClient.Reply r = client.put("/api/policies/" + vhostSegment() + "/" + ManagementClient.segment(name),
                body);
        switch (r.status()) {
            case 201 -> out.println("created policy '" + name + "' in vhost '" + management.vhost + "'");
            case 204 -> out.println("updated policy '" + name + "' in vhost '" + management.vhost + "'");
            case 400 -> throw new CommandFailure("policy '" + name + "' refused: " + r.reason());
            case 404 -> throw new CommandFailure("no vhost '" + management.vhost + "'");
            default -> throw new CommandFailure("the broker refused: " + r.reason());
        }
    }
}
