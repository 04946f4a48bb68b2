package io.spool.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import io.spool.broker.testing.SpoolProcess;
import io.spool.broker.testing.TestBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code spool policy set|list|clear} against a running broker, as an operator types them:
 * what they print, their exit codes (0 done, 1 failed, 2 misused), and that a policy set this way
 * acts on the broker's queues. Run in-process through picocli, and once as a child process to
 * check the settings it reads from the environment.
 */
class PolicyCommandTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    /** One command line run: exit code and what it printed. */
    private record Run(int exit, String out, String err) {}

    private Run spool(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SpoolCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** A policy subcommand pointed at the test broker's management port. */
    private Run policy(String subcommand, String... args) {
        List<String> all = new ArrayList<>(List.of("policy", subcommand, "--http-port",
                String.valueOf(broker.broker().httpPort())));
        all.addAll(List.of(args));
        return spool(all.toArray(String[]::new));
    }

    @Test
    void setCreatesAPolicyThatActsOnTheQueuesItMatches() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("jobs.resize", false, false, false, null);
        for (int i = 0; i < 5; i++) {
            ch.basicPublish("", "jobs.resize", null, ("job " + i).getBytes(StandardCharsets.UTF_8));
        }

        Run set = policy("set", "limit", "^jobs\\.", "{\"max-length\": 2}", "--priority", "3",
                "--apply-to", "queues");
        assertThat(set).isEqualTo(new Run(0, "created policy 'limit' in vhost '/'\n", ""));
        assertThat(ch.messageCount("jobs.resize")).isEqualTo(2);

        Run again = policy("set", "limit", "^jobs\\.", "{\"max-length\": 4}");
        assertThat(again).isEqualTo(new Run(0, "updated policy 'limit' in vhost '/'\n", ""));
    }

    @Test
    void listPrintsATableHighestPriorityFirstOrTheApisJson() throws Exception {
        policy("set", "ttl", ".*", "{\"message-ttl\": 60000}");
        policy("set", "limit", "^jobs\\.", "{\"max-length\": 2, \"overflow\": \"reject-publish\"}",
                "--priority", "10", "--apply-to", "queues");

        Run list = policy("list");
        assertThat(list.exit()).isZero();
        assertThat(list.err()).isEmpty();
        assertThat(list.out().lines()).containsExactly(
                "name   pattern  apply-to  priority  definition",
                "limit  ^jobs\\.  queues    10        {\"max-length\":2,\"overflow\":\"reject-publish\"}",
                "ttl    .*       all       0         {\"message-ttl\":60000}");

        Run json = policy("list", "--json");
        assertThat(json.exit()).isZero();
        JsonNode parsed = new ObjectMapper().readTree(json.out());
        assertThat(parsed.findValuesAsText("name")).containsExactly("limit", "ttl");
        assertThat(parsed.get(0).path("vhost").asText()).isEqualTo("/");
    }

    @Test
    void listWithNoPoliciesPrintsOnlyTheHeader() {
        assertThat(policy("list")).isEqualTo(new Run(0, "name  pattern  apply-to  priority  definition\n", ""));
    }

    @Test
    void clearRemovesAPolicyAndSaysSoWhenThereIsNone() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("jobs", false, false, false, null);
        policy("set", "limit", "^jobs$", "{\"max-length\": 1}");

        assertThat(policy("clear", "limit")).isEqualTo(new Run(0, "cleared policy 'limit' in vhost '/'\n", ""));
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", "jobs", null, new byte[0]);
        }
        assertThat(ch.messageCount("jobs")).as("no limit any more").isEqualTo(3);

        assertThat(policy("clear", "limit")).isEqualTo(new Run(1, "", "spool: no policy 'limit' in vhost '/'\n"));
    }

    @Test
    void aPolicyTheBrokerRefusesExitsOneWithItsReason() throws Exception {
        Run r = policy("set", "bad", ".*", "{\"max-length\": \"lots\"}");
        assertThat(r).isEqualTo(new Run(1, "",
                "spool: policy 'bad' refused: Validation failed: <<\"lots\">> is not a valid maximum length\n"));
        assertThat(policy("list").out().lines()).as("nothing was set").hasSize(1);
    }

    @Test
    void aDefinitionThatIsNotJsonIsAUsageError() {
        Run r = policy("set", "bad", ".*", "max-length=1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("spool: DEFINITION is not valid JSON: ");
    }

    @Test
    void missingArgumentsAndAMissingSubcommandAreUsageErrors() {
        Run noPattern = policy("set", "only-a-name");
        assertThat(noPattern.exit()).isEqualTo(2);
        assertThat(noPattern.err()).contains("Missing required parameters: 'PATTERN', 'DEFINITION'");

        Run bare = spool("policy");
        assertThat(bare.exit()).isEqualTo(2);
        assertThat(bare.err()).startsWith("spool: policy needs a subcommand: set, list or clear\n")
                .contains("Usage: spool policy");
    }

    @Test
    void aBrokerThatIsNotThereIsOneLineSayingWhereItLooked() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Run r = spool("policy", "list", "--http-port", String.valueOf(closedPort));
        assertThat(r).isEqualTo(new Run(1, "", "spool: cannot reach the broker's management API at "
                + "http://127.0.0.1:" + closedPort + " (connection refused); is the broker running? Point to it "
                + "with --http-port / --host or SPOOL_HTTP_PORT\n"));

        Run off = spool("policy", "list", "--http-port", "-1");
        assertThat(off.exit()).isEqualTo(2);
        assertThat(off.err()).isEqualTo("spool: --http-port -1 is not a port a management API listens on; give the "
                + "broker's management port (default 15672)\n");
    }

    @Test
    void theCommandFindsTheBrokerThroughTheEnvironment() throws Exception {
        policy("set", "limit", "^jobs$", "{\"max-length\": 1}");

        try (SpoolProcess p = SpoolProcess.java(List.of("policy", "list"),
                Map.of("SPOOL_HTTP_PORT", String.valueOf(broker.broker().httpPort())))) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.transcript()).isZero();
            assertThat(p.stdout()).containsExactly(
                    "name   pattern  apply-to  priority  definition",
                    "limit  ^jobs$   all       0         {\"max-length\":1}");
            assertThat(p.stderr()).isEmpty();
        }
    }
}
