package io.spool.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import java.time.Duration;

/**
 * How a channel or connection was closed, as the client saw it: the reply code and text of
 * the broker's channel.close or connection.close.
 */
public final class CloseReasons {

    private CloseReasons() {}

    /** The close as the client reported it: hard (connection) or soft (channel), code and text. */
    public record Close(boolean hard, int code, String text, int classId, int methodId) {

        /** Asserts a soft error: channel.close with this code and exact text. */
        public Close isChannelError(int expectedCode, String expectedText) {
            assertThat(this).as("close reason").extracting(Close::hard, Close::code, Close::text)
                    .containsExactly(false, expectedCode, expectedText);
            return this;
        }

        /** Asserts a hard error: connection.close with this code and exact text. */
        public Close isConnectionError(int expectedCode, String expectedText) {
            assertThat(this).as("close reason").extracting(Close::hard, Close::code, Close::text)
                    .containsExactly(true, expectedCode, expectedText);
            return this;
        }

        /** Asserts the failing method's class and method ids. */
        public Close failedMethod(int expectedClassId, int expectedMethodId) {
            assertThat(this).as("failing method").extracting(Close::classId, Close::methodId)
                    .containsExactly(expectedClassId, expectedMethodId);
            return this;
        }
    }

    /** Waits until the broker has closed the channel and returns why. */
    public static Close awaitClosed(Channel ch) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !ch.isOpen());
        return of(ch.getCloseReason());
    }

    /** Waits until the connection is closed and returns why. */
    public static Close awaitClosed(Connection c) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !c.isOpen());
        return of(c.getCloseReason());
    }

    /** The shutdown signal somewhere in a throwable's causes, as a close. */
    public static Close of(Throwable t) {
        Throwable cur = t;
        while (cur != null && !(cur instanceof ShutdownSignalException)) {
            cur = cur.getCause();
        }
        assertThat(cur).as("a ShutdownSignalException in the causes of %s", t).isNotNull();
        return of((ShutdownSignalException) cur);
    }

    public static Close of(ShutdownSignalException s) {
        assertThat(s).as("a close reason").isNotNull();
        Method m = s.getReason();
        if (m instanceof AMQP.Channel.Close c) {
            return new Close(s.isHardError(), c.getReplyCode(), c.getReplyText(), c.getClassId(), c.getMethodId());
        }
        if (m instanceof AMQP.Connection.Close c) {
            return new Close(s.isHardError(), c.getReplyCode(), c.getReplyText(), c.getClassId(), c.getMethodId());
        }
        throw new AssertionError("not a close sent by the broker: " + s, s);
    }
}
