package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.queue;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.TestBroker;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad {@code x-} queue arguments are refused at queue.declare: the channel is closed with 406
 * PRECONDITION_FAILED and a text that names the argument, the queue, the vhost and what is
 * wrong, in RabbitMQ's form; no queue is created, and the connection, its other channels and
 * their messages carry on.
 */
class ArgumentValidationTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    /** A channel doing ordinary work throughout, which must never notice. */
    private Channel bystander;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        bystander = conn.createChannel();
        bystander.queueDeclare("work", false, false, false, null);
        bystander.basicPublish("", "work", null, bytes("before"));
    }

    /** Declares "q" with one argument on a new channel and returns the close it gets. */
    private CloseReasons.Close declare(String key, Object value) throws Exception {
        Channel ch = conn.createChannel();
        assertThatThrownBy(() -> ch.queueDeclare("q", false, false, false, args(key, value)))
                .isInstanceOf(IOException.class);
        CloseReasons.Close close = CloseReasons.awaitClosed(ch);
        // Nothing was created; nothing else was touched.
        assertThat(queue(broker, "q")).isNull();
        assertThat(conn.isOpen()).isTrue();
        assertThat(bystander.isOpen()).isTrue();
        bystander.basicPublish("", "work", null, bytes("after"));
        sync(bystander);
        assertThat(ready(broker, "work")).isEqualTo(2);
        bystander.queuePurge("work");
        bystander.basicPublish("", "work", null, bytes("before"));
        return close;
    }

    private static String invalid(String key, String why) {
        return "PRECONDITION_FAILED - invalid arg '" + key + "' for queue 'q' in vhost '/': " + why;
    }

    @Test
    void maxPriorityZeroIsRefused() throws Exception {
        declare("x-max-priority", 0).isChannelError(406, invalid("x-max-priority", "{value_too_small,0} (at least 1)"))
                .failedMethod(50, 10);
    }

    @Test
    void maxPriorityAbove255IsRefused() throws Exception {
        declare("x-max-priority", 256).isChannelError(406,
                invalid("x-max-priority", "{value_too_large,256} (at most 255)"));
    }

    @Test
    void aNegativeMaxPriorityIsRefused() throws Exception {
        declare("x-max-priority", -1).isChannelError(406, invalid("x-max-priority", "{value_negative,-1}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes", "x-max-priority",
            "x-delivery-limit", "x-consumer-timeout"})
    void aStringWhereANumberBelongsIsRefused(String key) throws Exception {
        declare(key, "10").isChannelError(406, invalid(key, "\"expected integer, got longstr\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-message-ttl", "x-max-length", "x-max-priority", "x-delivery-limit"})
    void aFractionWhereAnIntegerBelongsIsRefused(String key) throws Exception {
        declare(key, 1.5d).isChannelError(406, invalid(key, "\"expected integer, got double\""));
    }

    @Test
    void aNegativeMessageTtlIsRefused() throws Exception {
        declare("x-message-ttl", -1).isChannelError(406, invalid("x-message-ttl", "{value_negative,-1}"));
    }

    @Test
    void aMessageTtlAboveTenYearsIsRefused() throws Exception {
        long tooLong = 315_360_000_001L;
        declare("x-message-ttl", tooLong).isChannelError(406,
                invalid("x-message-ttl", "{value_too_large," + tooLong + "} (at most 315360000000)"));
    }

    @Test
    void anExpiryOfZeroIsRefused() throws Exception {
        declare("x-expires", 0).isChannelError(406, invalid("x-expires", "{value_too_small,0} (at least 1)"));
    }

    @Test
    void negativeLengthLimitsAreRefused() throws Exception {
        declare("x-max-length", -5).isChannelError(406, invalid("x-max-length", "{value_negative,-5}"));
        declare("x-max-length-bytes", -5L).isChannelError(406, invalid("x-max-length-bytes", "{value_negative,-5}"));
    }

    @Test
    void anUnknownOverflowIsRefused() throws Exception {
        declare("x-overflow", "drop-tail").isChannelError(406, invalid("x-overflow",
                "invalid_overflow: 'drop-tail' is not one of drop-head, reject-publish, reject-publish-dlx"));
    }

    @Test
    void aDeadLetterRoutingKeyWithoutExchangeIsRefused() throws Exception {
        declare("x-dead-letter-routing-key", "failed").isChannelError(406,
                invalid("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined"));
    }

    @Test
    void aDeadLetterExchangeMustBeAString() throws Exception {
        declare("x-dead-letter-exchange", 42).isChannelError(406,
                invalid("x-dead-letter-exchange", "{unacceptable_type,signedint}"));
    }

    @Test
    void singleActiveConsumerMustBeABoolean() throws Exception {
        declare("x-single-active-consumer", "true").isChannelError(406,
                invalid("x-single-active-consumer", "{unacceptable_type,longstr}"));
        declare("x-single-active-consumer", 1).isChannelError(406,
                invalid("x-single-active-consumer", "{unacceptable_type,signedint}"));
    }

    @Test
    void theFirstBadArgumentIsNamedAndTheQueueIsNotCreatedHalfway() throws Exception {
        Channel ch = conn.createChannel();
        Map<String, Object> mixed = args("x-message-ttl", 1000, "x-max-length", 10, "x-overflow", "nope");
        assertThatThrownBy(() -> ch.queueDeclare("q", true, false, false, mixed)).isInstanceOf(IOException.class);
        assertThat(CloseReasons.awaitClosed(ch).text()).startsWith(invalid("x-overflow", ""));
        assertThat(queue(broker, "q")).isNull();

        // The same name declares fine with good arguments afterwards, and survives a restart
        // without a trace of the refused declaration.
        Channel again = conn.createChannel();
        again.queueDeclare("q", true, false, false, args("x-message-ttl", 1000));
        broker.restart();
        assertThat(queue(broker, "q").settings().messageTtl()).isEqualTo(1000);
        assertThat(queue(broker, "q").settings().maxLength()).isEqualTo(-1);
    }

    @Test
    void aDeliveryLimitBelowMinusOneIsRefused() throws Exception {
        // -1 turns the limit off, as in RabbitMQ 4 (see DeliveryLimitTest); anything lower is a mistake.
        declare("x-delivery-limit", -2).isChannelError(406, invalid("x-delivery-limit", "{value_negative,-2}"));
    }

    @Test
    void goodArgumentsOfEveryIntegerTypeAreAccepted() throws Exception {
        Channel ch = conn.createChannel();
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", (byte) 100, "x-expires", (short) 30_000,
                "x-max-length", 10, "x-max-length-bytes", 1_000_000L, "x-max-priority", 255,
                "x-delivery-limit", 0, "x-consumer-timeout", 60_000L, "x-overflow", "reject-publish-dlx",
                "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dead",
                "x-single-active-consumer", false));
        var s = queue(broker, "q").settings();
        assertThat(s.messageTtl()).isEqualTo(100);
        assertThat(s.expires()).isEqualTo(30_000);
        assertThat(s.maxLength()).isEqualTo(10);
        assertThat(s.maxLengthBytes()).isEqualTo(1_000_000);
        assertThat(s.maxPriority()).isEqualTo(255);
        assertThat(s.deliveryLimit()).isZero();
        assertThat(s.consumerTimeout()).isEqualTo(60_000);
        assertThat(s.deadLetterRoutingKey()).isEqualTo("dead");
        assertThat(ch.isOpen()).isTrue();
    }
}
