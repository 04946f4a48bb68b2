package io.spool.broker.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.spool.broker.Broker;
import io.spool.broker.model.BrokerException;
import io.spool.broker.model.ErrorKind;
import io.spool.broker.model.Policy;
import io.spool.broker.model.PolicyValidator;
import io.spool.broker.model.VirtualHost;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/policies} as RabbitMQ's management API has it:
 * <ul>
 *   <li>{@code GET /api/policies}, {@code GET /api/policies/{vhost}}: lists, highest priority first;
 *   <li>{@code GET /api/policies/{vhost}/{name}}: one, or 404;
 *   <li>{@code PUT /api/policies/{vhost}/{name}} with {@code {"pattern", "definition", "priority",
 *       "apply-to"}} (only the first two required): 201 when created, 204 when replaced, 400 with
 *       the reason when invalid;
 *   <li>{@code DELETE /api/policies/{vhost}/{name}}: 204, or 404 if there is none.
 * </ul>
 * An unknown virtual host is a 404. Thread-safe.
 */
final class PolicyEndpoints {

    private final Broker broker;

    PolicyEndpoints(Broker broker) {
        this.broker = broker;
    }

    /** {@code path}: what follows {@code /api/policies}, decoded. */
    ManagementApi.Response handle(String method, List<String> path, byte[] body) {
        if (path.size() > 2) {
            return ManagementApi.Response.error(404, "not_found", "no such endpoint");
        }
        boolean one = path.size() == 2;
        if (!method.equals("GET") && !(one && (method.equals("PUT") || method.equals("DELETE")))) {
            return ManagementApi.Response.error(405, "method_not_allowed", method + " is not supported here");
        }
        if (path.isEmpty()) {
            return ManagementApi.Response.json(200, list(broker.vhost()));
        }
        VirtualHost vhost = vhost(path.get(0));
        if (vhost == null) {
            return notFound();
        }
        if (!one) {
            return ManagementApi.Response.json(200, list(vhost));
        }
        String name = path.get(1);
        return switch (method) {
            case "PUT" -> put(vhost, name, body);
            case "DELETE" -> vhost.clearPolicy(name) ? ManagementApi.Response.empty(204) : notFound();
            default -> {
                Policy p = vhost.policy(name);
                yield p == null ? notFound() : ManagementApi.Response.json(200, json(vhost, p));
            }
        };
    }

    private VirtualHost vhost(String name) {
        VirtualHost vhost = broker.vhost();
        return vhost.name().equals(name) ? vhost : null;
    }

    private ManagementApi.Response put(VirtualHost vhost, String name, byte[] body) {
        Map<?, ?> request;
        try {
            request = ManagementApi.MAPPER.readValue(body, Map.class);
        } catch (JsonProcessingException e) {
            return ManagementApi.Response.error(400, "bad_request",
                    "the body is not a JSON object: " + e.getOriginalMessage());
        } catch (IOException e) {
            return ManagementApi.Response.error(400, "bad_request", "the body could not be read");
        }
        if (request == null) {
            return ManagementApi.Response.error(400, "bad_request", "the body is not a JSON object");
        }
        try {
            Policy p = PolicyValidator.build(name, request.get("pattern"), request.get("definition"),
                    request.get("priority"), request.get("apply-to"));
            return ManagementApi.Response.empty(vhost.setPolicy(p) ? 201 : 204);
        } catch (BrokerException e) {
            if (e.kind() == ErrorKind.PRECONDITION_FAILED) {
                return ManagementApi.Response.error(400, "bad_request", e.getMessage());
            }
            return ManagementApi.Response.error(500, "internal_error", e.getMessage());
        }
    }

    private static List<Map<String, Object>> list(VirtualHost vhost) {
        return vhost.policies().stream().map(p -> json(vhost, p)).toList();
    }

    private static Map<String, Object> json(VirtualHost vhost, Policy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vhost", vhost.name());
        m.put("name", p.name());
        m.put("pattern", p.pattern().pattern());
        m.put("apply-to", p.applyTo().wire);
        m.put("definition", p.definition());
        m.put("priority", p.priority());
        return m;
    }

    private static ManagementApi.Response notFound() {
        return ManagementApi.Response.error(404, "Object Not Found", "Not Found");
    }
}
