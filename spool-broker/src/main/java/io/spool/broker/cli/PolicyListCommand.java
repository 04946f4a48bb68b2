package io.spool.broker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spool policy list}: the policies of a vhost, highest priority first, as a table (or the
 * API's JSON with {@code --json}, for scripts).
 */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List policies, highest priority first.")
final class PolicyListCommand extends ManagementCommand {

    private static final String[] HEADER = {"name", "pattern", "apply-to", "priority", "definition"};

    @Option(names = "--json", description = "Print the management API's JSON instead of a table.")
    boolean json;

    @Override
    void run(ManagementClient client, PrintWriter out) {
        ManagementClient.Reply r = client.get("/api/policies/" + vhostSegment());
        if (r.status() == 404) {
            throw new CommandFailure("no vhost '" + management.vhost + "'");
        }
        if (r.status() != 200 || r.body() == null || !r.body().isArray()) {
            throw new CommandFailure("the broker refused: " + r.reason());
        }
        if (json) {
            out.println(r.body().toString());
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (JsonNode p : r.body()) {
            rows.add(new String[] {p.path("name").asText(), p.path("pattern").asText(), p.path("apply-to").asText(),
                    p.path("priority").asText(), p.path("definition").toString()});
        }
        printTable(rows, out);
    }

    /** Columns padded to their widest cell, two spaces apart; the last is not padded. */
    private static void printTable(List<String[]> rows, PrintWriter out) {
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            out.println(line);
        }
    }
}
