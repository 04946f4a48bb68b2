package io.spool.example.photo;

import io.spool.worker.SpoolJobs;
import picocli.CommandLine.Option;

/** The broker options both commands share. */
final class BrokerOptions {

    @Option(names = "--amqp-uri", defaultValue = "amqp://guest:guest@127.0.0.1:5672",
            description = "The broker. Default: ${DEFAULT-VALUE}")
    String amqpUri;

    SpoolJobs connect(String name) {
        return SpoolJobs.builder().uri(amqpUri).connectionName(name).objectMapper(Json.MAPPER).connect();
    }
}
