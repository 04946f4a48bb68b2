package io.spool.broker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import io.spool.broker.testing.ManagementHttp;
import io.spool.broker.testing.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code /api/policies} as scripts written for RabbitMQ's management API use it: the same paths,
 * bodies, status codes and JSON fields, and a 400 with a readable reason for a bad policy.
 */
class PolicyApiTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private final ManagementHttp http = ManagementHttp.of(broker);

    private static final String LIMIT = "{\"pattern\": \"^jobs\\\\.\", \"definition\": {\"max-length\": 1000, "
            + "\"overflow\": \"reject-publish\"}, \"priority\": 7, \"apply-to\": \"queues\"}";

    @Test
    void putCreatesWith201ReplacesWith204AndGetListsInRabbitMqsShape() throws Exception {
        ManagementHttp.Reply created = http.put("/api/policies/%2F/limit", LIMIT);
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body()).isNull();

        JsonNode list = http.get("/api/policies").body();
        assertThat(list).hasSize(1);
        JsonNode p = list.get(0);
        assertThat(p.path("vhost").asText()).isEqualTo("/");
        assertThat(p.path("name").asText()).isEqualTo("limit");
        assertThat(p.path("pattern").asText()).isEqualTo("^jobs\\.");
        assertThat(p.path("apply-to").asText()).isEqualTo("queues");
        assertThat(p.path("priority").asInt()).isEqualTo(7);
        assertThat(p.path("definition").path("max-length").asInt()).isEqualTo(1000);
        assertThat(p.path("definition").path("overflow").asText()).isEqualTo("reject-publish");
        assertThat(http.get("/api/policies/%2F").body()).isEqualTo(list);
        assertThat(http.get("/api/policies/%2F/limit").body()).isEqualTo(p);

        ManagementHttp.Reply replaced = http.put("/api/policies/%2F/limit",
                "{\"pattern\": \".*\", \"definition\": {\"message-ttl\": 60000}}");
        assertThat(replaced.status()).isEqualTo(204);
        JsonNode now = http.get("/api/policies/%2F/limit").body();
        assertThat(now.path("definition").size()).isEqualTo(1);
        assertThat(now.path("definition").path("message-ttl").asInt()).isEqualTo(60000);
        assertThat(now.path("priority").asInt()).as("priority defaults to 0").isZero();
        assertThat(now.path("apply-to").asText()).as("apply-to defaults to all").isEqualTo("all");
    }

    @Test
    void theListIsOrderedHighestPriorityFirst() throws Exception {
        http.setPolicy("low", "{\"pattern\": \"a\", \"definition\": {\"max-length\": 1}, \"priority\": 1}");
        http.setPolicy("high", "{\"pattern\": \"b\", \"definition\": {\"max-length\": 1}, \"priority\": 9}");
        http.setPolicy("mid", "{\"pattern\": \"c\", \"definition\": {\"max-length\": 1}, \"priority\": \"5\"}");

        JsonNode list = http.get("/api/policies/%2F").body();
        assertThat(list.findValuesAsText("name")).containsExactly("high", "mid", "low");
    }

    @Test
    void deleteAnswers204ThenNotFound() throws Exception {
        http.setPolicy("limit", LIMIT);

        assertThat(http.delete("/api/policies/%2F/limit").status()).isEqualTo(204);
        assertThat(http.get("/api/policies").body()).isEmpty();
        ManagementHttp.Reply again = http.delete("/api/policies/%2F/limit");
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.body().path("error").asText()).isEqualTo("Object Not Found");
        assertThat(http.get("/api/policies/%2F/limit").status()).isEqualTo(404);
    }

    @Test
    void anUnknownVirtualHostIsNotFound() throws Exception {
        assertThat(http.put("/api/policies/staging/limit", LIMIT).status()).isEqualTo(404);
        assertThat(http.get("/api/policies/staging").status()).isEqualTo(404);
        assertThat(http.get("/api/policies").body()).isEmpty();
    }

    @Test
    void otherMethodsAre405() throws Exception {
        ManagementHttp.Reply r = http.put("/api/policies/%2F", LIMIT);
        assertThat(r.status()).isEqualTo(405);
        assertThat(http.put("/api/queues/%2F/jobs", "{}").status()).isEqualTo(405);
    }

    @Test
    void badPoliciesAre400WithAReadableReasonAndChangeNothing() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("jobs", false, false, false, null);
        http.setPolicy("limit", LIMIT);

        assertRefused("{\"pattern\": \".*\", \"definition\": {\"max-lenght\": 10}}",
                "Validation failed: [{<<\"max-lenght\">>,10}] are not recognised policy settings");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"message-ttl\": \"1h\"}}",
                "Validation failed: <<\"1h\">> is not a valid message TTL");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"max-length\": -1}}",
                "Validation failed: -1 is not a valid maximum length");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"max-length-bytes\": 1.5}}",
                "Validation failed: 1.5 is not a valid maximum length in bytes");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"overflow\": \"drop-tail\"}}",
                "Validation failed: <<\"drop-tail\">> is not a valid overflow value");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"expires\": 0}}",
                "Validation failed: 0 is not a valid queue expiry");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"dead-letter-exchange\": 5}}",
                "Validation failed: 5 is not a valid dead letter exchange name");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"message-deduplication\": \"yes\"}}",
                "Validation failed: <<\"yes\">> is not a valid message deduplication flag");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"cache-size\": 10, \"x-cache-size\": 10}}",
                "Validation failed: duplicate keys not allowed: <<\"x-cache-size\">>");
        assertRefused("{\"pattern\": \"(\", \"definition\": {\"max-length\": 1}}",
                "Validation failed: <<\"(\">> is not a valid regular expression: Unclosed group");
        assertRefused("{\"definition\": {\"max-length\": 1}}", "Validation failed: pattern is required");
        assertRefused("{\"pattern\": \".*\"}", "Validation failed: no policy provided");
        assertRefused("{\"pattern\": \".*\", \"definition\": {}}", "Validation failed: no policy provided");
        assertRefused("{\"pattern\": \".*\", \"definition\": [1]}", "Validation failed: definition must be a dictionary");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"max-length\": 1}, \"priority\": \"high\"}",
                "Validation failed: <<\"high\">> is not a valid priority");
        assertRefused("{\"pattern\": \".*\", \"definition\": {\"max-length\": 1}, \"apply-to\": \"streams\"}",
                "Validation failed: apply-to 'streams' unrecognised; should be one of: 'queues', 'classic_queues', "
                        + "'exchanges' or 'all'");
        ManagementHttp.Reply notJson = http.put("/api/policies/%2F/limit", "max-length=1");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.reason()).startsWith("the body is not a JSON object");

        JsonNode kept = http.get("/api/policies/%2F/limit").body();
        assertThat(kept.path("definition").path("max-length").asInt()).as("the old policy is untouched")
                .isEqualTo(1000);
        assertThat(http.queue("jobs").path("policy").isNull()).as("jobs does not match ^jobs\\.").isTrue();
    }

    private void assertRefused(String body, String reason) throws Exception {
        ManagementHttp.Reply r = http.put("/api/policies/%2F/limit", body);
        assertThat(r.status()).as(body).isEqualTo(400);
        assertThat(r.body().path("error").asText()).isEqualTo("bad_request");
        assertThat(r.reason()).isEqualTo(reason);
    }
}
