package io.spool.broker.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The durable topology as it is saved: exchanges, queues and bindings. Argument tables are kept
 * in their AMQP encoding (base64) so that every value comes back with its exact type.
 */
public record Definitions(
        int version,
        List<ExchangeDef> exchanges,
        List<QueueDef> queues,
        List<BindingDef> bindings) {

    public static final int VERSION = 1;

    public record ExchangeDef(String name, String type, boolean durable,
                              @JsonProperty("auto_delete") boolean autoDelete, boolean internal,
                              String arguments) {}

    public record QueueDef(String name, @JsonProperty("auto_delete") boolean autoDelete, String arguments) {}

    public record BindingDef(String source, String destination,
                             @JsonProperty("destination_type") String destinationType,
                             @JsonProperty("routing_key") String routingKey, String arguments) {}
}
