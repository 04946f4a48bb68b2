package io.spool.bench.store;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/** AMQP connections to a benchmark broker, as the guest user over loopback. */
final class BrokerClients {

    private BrokerClients() {}

    static Connection connect(BrokerProcess broker, String name) throws IOException, TimeoutException {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(broker.host());
        f.setPort(broker.amqpPort());
        f.setUsername("guest");
        f.setPassword("guest");
        // A benchmark that silently reconnected would measure something else.
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection(name);
    }

    static ManagementClient management(BrokerProcess broker) {
        return new ManagementClient(broker.host(), broker.httpPort());
    }
}
