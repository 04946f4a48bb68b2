package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spool.broker.amqp.method.BasicMethod;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client announces large bodies and sends only a little of each: the broker must hold what
 * arrived, not what was announced, and count it against the memory alarm until it leaves.
 */
class PartialContentTest {

    private static final int ANNOUNCED = 16 * 1024 * 1024;
    private static final int SENT = 1024;
    private static final int CHANNELS = 50;

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @Test
    void announcedBodiesCostOnlyTheBytesThatArrived() throws Exception {
        try (RawAmqpClient c = RawAmqpClient.open(broker.port())) {
            for (int ch = 1; ch <= CHANNELS; ch++) {
                c.openChannel(ch);
                c.sendMethod(ch, new BasicMethod.Publish("", "nowhere", false, false));
                c.sendHeader(ch, ANNOUNCED, RawAmqpClient.NO_PROPERTIES);
                c.sendBody(ch, new byte[SENT]);
            }
            // 50 announced 16 MiB bodies would be 800 MiB; what is held is what was sent.
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> broker.broker().memory().bytes() == (long) CHANNELS * SENT);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().memory().bytes() == 0);
    }
}
