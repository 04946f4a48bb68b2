package io.spool.broker.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The durable topology as it is saved: exchanges, queues, bindings and policies. Argument tables
 * are kept in their AMQP encoding (base64) so that every value comes back with its exact type;
 * policy definitions are plain JSON, as they arrive from the management API. A file written
 * before policies existed has no "policies" and loads with none.
 */
public record Definitions(
        int version,
        List<ExchangeDef> exchanges,
        List<QueueDef> queues,
        List<BindingDef> bindings,
        List<PolicyDef> policies) {

    public static final int VERSION = 1;

    public record ExchangeDef(String name, String type, boolean durable,
                              @JsonProperty("auto_delete") boolean autoDelete, boolean internal,
                              String arguments) {}

    public record QueueDef(String name, @JsonProperty("auto_delete") boolean autoDelete, String arguments) {}

    public record BindingDef(String source, String destination,
                             @JsonProperty("destination_type") String destinationType,
                             @JsonProperty("routing_key") String routingKey, String arguments) {}

    public record PolicyDef(String name, String pattern, Map<String, Object> definition, int priority,
                            @JsonProperty("apply-to") String applyTo) {}
}
