package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.SaslConfig;
import com.rabbitmq.client.SaslMechanism;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.AMQImpl;
import com.rabbitmq.client.impl.CredentialsProvider;
import com.rabbitmq.client.impl.CredentialsRefreshService;
import com.rabbitmq.client.impl.LongStringHelper;
import com.rabbitmq.client.impl.PlainMechanism;
import io.spool.broker.Version;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Opening, using and closing connections and channels, as the RabbitMQ Java client does it. */
class ConnectionTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    // ---- connection.start and login ----

    @Test
    void serverPropertiesNameSpoolAndClaimTheCapabilitiesClientsLookFor() throws Exception {
        Connection conn = broker.connect();
        Map<String, Object> props = conn.getServerProperties();

        assertThat(props.get("product")).hasToString("Spool");
        assertThat(props.get("version")).hasToString(Version.VERSION);
        assertThat(props.get("capabilities")).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> capabilities = (Map<String, Object>) props.get("capabilities");
        assertThat(capabilities).containsEntry("publisher_confirms", true)
                .containsEntry("exchange_exchange_bindings", true)
                .containsEntry("basic.nack", true)
                .containsEntry("consumer_cancel_notify", true)
                .containsEntry("connection.blocked", true)
                .containsEntry("authentication_failure_close", true)
                .containsEntry("per_consumer_qos", true)
                .containsEntry("consumer_priorities", true)
                .containsEntry("direct_reply_to", true);
    }

    @Test
    void wrongPasswordIsAnAuthenticationFailure() {
        ConnectionFactory f = broker.factory();
        f.setPassword("not-the-password");

        assertThatThrownBy(f::newConnection)
                .isInstanceOf(AuthenticationFailureException.class)
                .hasMessage("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
                        + "For details see the broker logfile.");
    }

    @Test
    void unknownUserIsAnAuthenticationFailure() {
        ConnectionFactory f = broker.factory();
        f.setUsername("mallory");

        assertThatThrownBy(f::newConnection).isInstanceOf(AuthenticationFailureException.class);
    }

    @Test
    void unknownVirtualHostIsRefusedWith530() {
        ConnectionFactory f = broker.factory();
        f.setVirtualHost("no-such-vhost");

        assertThatThrownBy(f::newConnection)
                .isInstanceOf(IOException.class)
                .satisfies(e -> CloseReasons.of(e)
                        .isConnectionError(530, "NOT_ALLOWED - vhost no-such-vhost not found")
                        .failedMethod(10, 40));
    }

    @Test
    void plainLoginWorks() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setSaslConfig(mechanisms -> {
            assertThat(mechanisms).contains("PLAIN");
            return new PlainMechanism();
        });
        Connection conn = broker.track(f.newConnection());

        assertThat(conn.isOpen()).isTrue();
        assertThat(conn.createChannel().queueDeclare().getQueue()).startsWith("amq.gen-");
    }

    @Test
    void amqplainLoginWorks() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setSaslConfig(AMQPLAIN);
        Connection conn = broker.track(f.newConnection());

        assertThat(conn.isOpen()).isTrue();
        assertThat(conn.createChannel().queueDeclare().getQueue()).startsWith("amq.gen-");
    }

    @Test
    void amqplainWithWrongPasswordNamesTheMechanismInTheRefusal() {
        ConnectionFactory f = broker.factory();
        f.setSaslConfig(AMQPLAIN);
        f.setPassword("wrong");

        assertThatThrownBy(f::newConnection)
                .isInstanceOf(AuthenticationFailureException.class)
                .hasMessage("ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN. "
                        + "For details see the broker logfile.");
    }

    // ---- channels ----

    @Test
    void channelsOpenCloseAndTheirNumbersCanBeReused() throws Exception {
        Connection conn = broker.connect();
        Channel first = conn.createChannel(7);
        assertThat(first.getChannelNumber()).isEqualTo(7);
        String q = first.queueDeclare().getQueue();
        first.close();
        assertThat(first.isOpen()).isFalse();

        Channel again = conn.createChannel(7);
        assertThat(again.getChannelNumber()).isEqualTo(7);
        again.basicPublish("", q, null, "on a reused channel number".getBytes(StandardCharsets.UTF_8));
        GetResponse r = again.basicGet(q, true);
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("on a reused channel number");
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void aChannelClosedByAnErrorCanBeReopenedUnderItsNumber() throws Exception {
        Connection conn = broker.connect();
        Channel broken = conn.createChannel(3);
        assertThatThrownBy(() -> broken.queueDeclarePassive("no-such-queue"))
                .satisfies(e -> CloseReasons.of(e).isChannelError(404,
                        "NOT_FOUND - no queue 'no-such-queue' in vhost '/'"));

        Channel again = conn.createChannel(3);

        assertThat(again.getChannelNumber()).isEqualTo(3);
        assertThat(again.queueDeclare().getQueue()).startsWith("amq.gen-");
    }

    @Test
    void manyChannelsOnOneConnectionWorkIndependently() throws Exception {
        Connection conn = broker.connect();
        Channel a = conn.createChannel();
        Channel b = conn.createChannel();
        String q = a.queueDeclare().getQueue();

        // An error closes one channel only.
        assertThatThrownBy(() -> b.queueDeclarePassive("no-such-queue"))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(404, "NOT_FOUND - no queue 'no-such-queue' in vhost '/'"));
        assertThat(b.isOpen()).isFalse();
        assertThat(a.isOpen()).isTrue();
        assertThat(a.queueDeclarePassive(q).getQueue()).isEqualTo(q);
    }

    @Test
    void channelMaxRequestedByTheClientIsNegotiatedAndEnforced() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedChannelMax(2);
        Connection conn = broker.track(f.newConnection());
        assertThat(conn.getChannelMax()).isEqualTo(2);

        Channel one = conn.createChannel();
        Channel two = conn.createChannel();
        assertThat(one.isOpen()).isTrue();
        assertThat(two.isOpen()).isTrue();
        // The Java client refuses a third channel itself...
        assertThat(conn.createChannel()).isNull();

        // ...and a client that does not is refused by the broker, which closes the connection.
        AMQConnection amq = (AMQConnection) conn;
        amq.writeFrame(new AMQImpl.Channel.Open("").toFrame(3));
        amq.flush();

        CloseReasons.Close close = CloseReasons.awaitClosed(conn);
        assertThat(close.hard()).isTrue();
        assertThat(close.code()).isEqualTo(530);
        assertThat(close.text()).startsWith("NOT_ALLOWED - ").contains("negotiated channel_max (2)");
    }

    @Test
    void channelNumbersUpToChannelMaxCanAllBeOpened() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedChannelMax(3);
        Connection conn = broker.track(f.newConnection());
        for (int i = 1; i <= 3; i++) {
            Channel ch = conn.createChannel(i);
            assertThat(ch.isOpen()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() ->
                broker.broker().amqp().connections().get(0).channelCount() == 3);
    }

    // ---- closing ----

    @Test
    void clientCloseEndsTheConnectionOnTheBroker() throws Exception {
        Connection conn = broker.connect();
        conn.createChannel();
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().amqp().connections().size() == 1);

        conn.close();

        assertThat(conn.isOpen()).isFalse();
        assertThat(conn.getCloseReason().isInitiatedByApplication()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().amqp().connections().isEmpty());
    }

    @Test
    void brokerCloseOnShutdownTellsTheClientWhy() throws Exception {
        Connection conn = broker.connect();
        BlockingQueue<ShutdownSignalException> signals = new ArrayBlockingQueue<>(1);
        conn.addShutdownListener(signals::add);

        broker.broker().stop();

        ShutdownSignalException s = signals.poll(10, TimeUnit.SECONDS);
        assertThat(s).isNotNull();
        assertThat(s.isInitiatedByApplication()).isFalse();
        CloseReasons.of(s).isConnectionError(320,
                "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
        assertThat(conn.isOpen()).isFalse();
    }

    @Test
    void brokerCloseOnAHardErrorIsAcknowledgedAndTheConnectionGoes() throws Exception {
        Connection conn = broker.connect();
        Channel ch = conn.createChannel();

        assertThatThrownBy(() -> ch.basicRecover(false))
                .satisfies(e -> CloseReasons.of(e).isConnectionError(540, "NOT_IMPLEMENTED - requeue=false"));

        assertThat(CloseReasons.awaitClosed(conn).code()).isEqualTo(540);
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().amqp().connections().isEmpty());
    }

    // ---- connection.update-secret ----

    @Test
    void updateSecretWithTheRightSecretKeepsTheConnection() throws Exception {
        MutableCredentials credentials = new MutableCredentials();
        ManualRefresh refresh = new ManualRefresh();
        ConnectionFactory f = broker.factory();
        f.setCredentialsProvider(credentials);
        f.setCredentialsRefreshService(refresh);
        Connection conn = broker.track(f.newConnection());

        assertThat(refresh.action.call()).as("update-secret-ok received").isTrue();

        assertThat(conn.isOpen()).isTrue();
        assertThat(conn.createChannel().queueDeclare().getQueue()).startsWith("amq.gen-");
    }

    @Test
    void updateSecretWithAWrongSecretClosesTheConnectionWith530() throws Exception {
        MutableCredentials credentials = new MutableCredentials();
        ManualRefresh refresh = new ManualRefresh();
        ConnectionFactory f = broker.factory();
        f.setCredentialsProvider(credentials);
        f.setCredentialsRefreshService(refresh);
        Connection conn = broker.track(f.newConnection());

        credentials.password = "not-the-password";
        assertThat(refresh.action.call()).as("update-secret refused").isFalse();

        CloseReasons.awaitClosed(conn)
                .isConnectionError(530, "NOT_ALLOWED - New secret was refused by one of the backends")
                .failedMethod(10, 70);
    }

    // ---- helpers ----

    /** AMQPLAIN: the response is a field table (without its length) with LOGIN and PASSWORD. */
    private static final SaslConfig AMQPLAIN = mechanisms -> {
        assertThat(Arrays.asList(mechanisms)).contains("AMQPLAIN");
        return new SaslMechanism() {
            @Override
            public String getName() {
                return "AMQPLAIN";
            }

            @Override
            public LongString handleChallenge(LongString challenge, String username, String password) {
                try {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    DataOutputStream out = new DataOutputStream(bytes);
                    longStringEntry(out, "LOGIN", username);
                    longStringEntry(out, "PASSWORD", password);
                    return LongStringHelper.asLongString(bytes.toByteArray());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    };

    private static void longStringEntry(DataOutputStream out, String key, String value) throws IOException {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        out.writeByte(k.length);
        out.write(k);
        out.writeByte('S');
        out.writeInt(v.length);
        out.write(v);
    }

    /** Credentials whose password a test changes; an expiry makes the client offer refreshes. */
    private static final class MutableCredentials implements CredentialsProvider {
        volatile String password = "guest";

        @Override
        public String getUsername() {
            return "guest";
        }

        @Override
        public String getPassword() {
            return password;
        }

        @Override
        public Duration getTimeBeforeExpiration() {
            return Duration.ofHours(1);
        }
    }

    /** Keeps the client's refresh action (it sends connection.update-secret) for the test to run. */
    private static final class ManualRefresh implements CredentialsRefreshService {
        volatile Callable<Boolean> action;

        @Override
        public String register(CredentialsProvider provider, Callable<Boolean> refreshAction) {
            action = refreshAction;
            return "manual";
        }

        @Override
        public void unregister(CredentialsProvider provider, String id) {
        }

        @Override
        public boolean isApproachingExpiration(Duration timeBeforeExpiration) {
            return false;
        }
    }
}
