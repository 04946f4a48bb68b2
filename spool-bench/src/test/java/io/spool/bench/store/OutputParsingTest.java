package io.spool.bench.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** The benchmark reads broker, JVM and kernel output; these pin the formats it expects. */
class OutputParsingTest {

    @Test
    void readyLineGivesTheHostAndBothPorts() {
        Matcher m = BrokerProcess.READY.matcher("2026-11-21 22:30:08.125 INFO  Server - Spool 0.1.0-SNAPSHOT ready: "
                + "amqp://127.0.0.1:40123 (management http://127.0.0.1:40125, data in /tmp/x)");
        assertThat(m.find()).isTrue();
        assertThat(m.group("host")).isEqualTo("127.0.0.1");
        assertThat(m.group("amqp")).isEqualTo("40123");
        assertThat(m.group("http")).isEqualTo("40125");
    }

    @Test
    void recoveryLineGivesTheBrokersOwnMillis() {
        Matcher m = BrokerProcess.RECOVERED.matcher("INFO  Broker - recovered 7 exchanges, 1 queues, 0 bindings and "
                + "1000000 messages in 812 ms (0 damaged records skipped, 0 bytes of torn tail cut)");
        assertThat(m.find()).isTrue();
        assertThat(m.group("ms")).isEqualTo("812");
    }

    @Test
    void gcLogPeaksTakeTheLargestBeforeAndAfter() {
        GcLogPeaks p = GcLogPeaks.parse("""
                [0.512s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->3M(256M) 2.101ms
                [3.100s][info][gc] GC(1) Pause Young (Normal) (G1 Evacuation Pause) 150M->41M(256M) 9.870ms
                [9.000s][info][gc] GC(2) Pause Full (Diagnostic Command) 60M->20480K(128M) 30.000ms
                """);
        assertThat(p.pauses()).isEqualTo(3);
        assertThat(p.maxBeforeKib()).isEqualTo(150 * 1024);
        assertThat(p.maxAfterKib()).isEqualTo(41 * 1024);
        assertThat(p.maxCommittedKib()).isEqualTo(256 * 1024);
    }

    @Test
    void procStatusGivesRssAndItsHighWaterMark() {
        ProcMemory m = ProcMemory.parse("Name:\tjava\nVmPeak:\t 3000000 kB\nVmHWM:\t  412345 kB\nVmRSS:\t  398765 kB\n");
        assertThat(m.peakRssKib()).isEqualTo(412345);
        assertThat(m.rssKib()).isEqualTo(398765);
    }

    @Test
    void heapInfoGivesTheHeapUsed() {
        assertThat(LiveHeap.parseUsedKib("""
                12345:
                 garbage-first heap   total reserved 262144K, committed 65536K, used 21337K [0x00000000f0000000, 0x0000000100000000)
                  region size 1024K, 1 young (1024K), 0 survivors (0K)
                """)).isEqualTo(21337);
    }
}
