package io.spool.broker.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.spool.broker.testing.TestBroker;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.annotation.EnableRabbit;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.config.SimpleRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.handler.annotation.Header;

/**
 * Spring AMQP (plain Spring, no Boot) against the broker: a template sends and a
 * {@code @RabbitListener} receives, request/reply over direct reply-to, and RabbitAdmin declaring
 * topology.
 */
class SpringAmqpTest {

    private static final String ORDERS_EXCHANGE = "spring.orders";
    private static final String ORDERS_QUEUE = "spring.orders.new";
    private static final String RPC_QUEUE = "spring.rpc";

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private CachingConnectionFactory connectionFactory;
    private AnnotationConfigApplicationContext context;
    private RabbitTemplate template;
    private Listeners listeners;

    @BeforeEach
    void startContext() {
        connectionFactory = new CachingConnectionFactory("127.0.0.1", broker.port());
        connectionFactory.setUsername("guest");
        connectionFactory.setPassword("guest");
        context = new AnnotationConfigApplicationContext();
        context.getBeanFactory().registerSingleton("connectionFactory", connectionFactory);
        context.register(RabbitConfig.class);
        context.refresh();
        template = context.getBean(RabbitTemplate.class);
        listeners = context.getBean(Listeners.class);
    }

    @AfterEach
    void closeContext() {
        if (context != null) {
            context.close();
        }
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @Test
    void convertAndSendReachesRabbitListenerThroughDeclaredBinding() throws Exception {
        template.convertAndSend(ORDERS_EXCHANGE, "new", "order-1");
        template.convertAndSend(ORDERS_EXCHANGE, "new", "order-2");

        assertThat(listeners.orders.poll(10, TimeUnit.SECONDS)).isEqualTo("order-1");
        assertThat(listeners.orders.poll(10, TimeUnit.SECONDS)).isEqualTo("order-2");
    }

    @Test
    void convertSendAndReceiveGetsTheListenersReplyOverDirectReplyTo() {
        assertThat(template.convertSendAndReceive("", RPC_QUEUE, "ping")).isEqualTo("PING");
        assertThat(template.convertSendAndReceive("", RPC_QUEUE, "second call")).isEqualTo("SECOND CALL");

        // The template used RabbitMQ's direct reply-to: the responder saw a generated reply address.
        assertThat(listeners.replyTo).isNotEmpty().allSatisfy(replyTo ->
                assertThat(replyTo).startsWith("amq.rabbitmq.reply-to."));
    }

    @Test
    void rabbitAdminDeclaresQueueExchangeAndBinding() {
        AmqpAdmin admin = context.getBean(AmqpAdmin.class);
        TopicExchange events = new TopicExchange("spring.events", true, false);
        Queue audit = new Queue("spring.audit", true, false, false);
        admin.declareExchange(events);
        assertThat(admin.declareQueue(audit)).isEqualTo("spring.audit");
        admin.declareBinding(BindingBuilder.bind(audit).to(events).with("user.*"));

        template.convertAndSend("spring.events", "user.created", "alice");
        template.convertAndSend("spring.events", "order.created", "not for audit");

        assertThat(template.receiveAndConvert("spring.audit", 5_000)).isEqualTo("alice");
        assertThat(template.receiveAndConvert("spring.audit")).isNull();

        QueueInformation info = admin.getQueueInfo("spring.audit");
        assertThat(info).isNotNull();
        assertThat(info.getName()).isEqualTo("spring.audit");
        assertThat(info.getMessageCount()).isZero();
        Properties props = admin.getQueueProperties("spring.audit");
        assertThat(props).containsEntry(RabbitAdmin.QUEUE_NAME, "spring.audit")
                .containsEntry(RabbitAdmin.QUEUE_MESSAGE_COUNT, 0L)
                .containsEntry(RabbitAdmin.QUEUE_CONSUMER_COUNT, 0);

        admin.removeBinding(BindingBuilder.bind(audit).to(events).with("user.*"));
        template.convertAndSend("spring.events", "user.deleted", "bob");
        assertThat(template.receiveAndConvert("spring.audit")).isNull();

        assertThat(admin.deleteQueue("spring.audit")).isTrue();
        assertThat(admin.getQueueInfo("spring.audit")).isNull();
        assertThat(admin.deleteExchange("spring.events")).isTrue();
    }

    @Configuration
    @EnableRabbit
    static class RabbitConfig {

        @Bean
        RabbitTemplate rabbitTemplate(ConnectionFactory cf) {
            RabbitTemplate t = new RabbitTemplate(cf);
            t.setReplyTimeout(10_000);
            return t;
        }

        @Bean
        RabbitAdmin rabbitAdmin(ConnectionFactory cf) {
            return new RabbitAdmin(cf);
        }

        @Bean
        SimpleRabbitListenerContainerFactory rabbitListenerContainerFactory(ConnectionFactory cf) {
            SimpleRabbitListenerContainerFactory f = new SimpleRabbitListenerContainerFactory();
            f.setConnectionFactory(cf);
            return f;
        }

        @Bean
        DirectExchange ordersExchange() {
            return new DirectExchange(ORDERS_EXCHANGE, false, true);
        }

        @Bean
        Queue ordersQueue() {
            return new Queue(ORDERS_QUEUE, false, false, true);
        }

        @Bean
        Binding ordersBinding() {
            return BindingBuilder.bind(ordersQueue()).to(ordersExchange()).with("new");
        }

        @Bean
        Queue rpcQueue() {
            return new Queue(RPC_QUEUE, false, false, true);
        }

        @Bean
        Listeners listeners() {
            return new Listeners();
        }
    }

    static class Listeners {
        final BlockingQueue<String> orders = new LinkedBlockingQueue<>();
        final BlockingQueue<String> replyTo = new LinkedBlockingQueue<>();

        @RabbitListener(queues = ORDERS_QUEUE)
        void onOrder(String order) {
            orders.add(order);
        }

        @RabbitListener(queues = RPC_QUEUE)
        String onRequest(String request, @Header(AmqpHeaders.REPLY_TO) String replyAddress) {
            replyTo.add(replyAddress);
            return request.toUpperCase();
        }
    }
}
