package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * What a RabbitMQ Java client sees when the broker refuses something with a soft error: the
 * channel.close it received, found in the exception chain, while the connection stays open.
 */
final class AmqpFailures {

    private AmqpFailures() {}

    /** Runs a synchronous client call that must fail with a channel error; returns the close. */
    static AMQP.Channel.Close channelError(ThrowingCallable call) {
        ShutdownSignalException s = shutdownOf(catchThrowable(call));
        assertThat(s.isHardError()).as("channel error expected, got %s", s.getReason()).isFalse();
        return (AMQP.Channel.Close) s.getReason();
    }

    /** Waits for the broker to close a channel after an asynchronous call (a publish). */
    static AMQP.Channel.Close closedChannel(Channel ch) {
        await().atMost(Duration.ofSeconds(5)).until(() -> !ch.isOpen());
        ShutdownSignalException s = ch.getCloseReason();
        assertThat(s.isHardError()).as("channel error expected, got %s", s.getReason()).isFalse();
        assertThat(s.isInitiatedByApplication()).as("closed by the broker").isFalse();
        return (AMQP.Channel.Close) s.getReason();
    }

    /** Asserts the code and that the text is RabbitMQ's "NAME - explanation" with these parts. */
    static void assertClose(AMQP.Channel.Close close, int code, String... textParts) {
        assertThat(close.getReplyCode()).as("reply code of %s", close.getReplyText()).isEqualTo(code);
        assertThat(close.getReplyText()).startsWith(codeName(code) + " - ").contains(textParts);
    }

    private static String codeName(int code) {
        return switch (code) {
            case 403 -> "ACCESS_REFUSED";
            case 404 -> "NOT_FOUND";
            case 405 -> "RESOURCE_LOCKED";
            case 406 -> "PRECONDITION_FAILED";
            default -> throw new IllegalArgumentException("no name for " + code);
        };
    }

    private static ShutdownSignalException shutdownOf(Throwable t) {
        assertThat(t).as("the broker should have refused the call").isNotNull();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException s) {
                return s;
            }
        }
        throw new AssertionError("no shutdown signal in " + t, t);
    }
}
