package dev.tether.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.v1.Heartbeat;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeartbeatHistoryTest {

    private static final long MINUTE = HeartbeatHistory.SLOT.toMillis();
    private static final long T0 = 1_000_000 * MINUTE;

    private final HeartbeatHistory history = new HeartbeatHistory();

    private static Heartbeat beat(double cpu, long memUsed, long outbox) {
        return Heartbeat.newBuilder().setCpuPercent(cpu).setMemUsedBytes(memUsed).setMemTotalBytes(1000)
                .setDiskUsedBytes(250).setDiskTotalBytes(1000).setOutboxDepth(outbox).build();
    }

    @Test
    void keepsTheLastHeartbeatOfEachMinuteOldestFirst() {
        history.record("a1", beat(10, 100, 0), T0);
        history.record("a1", beat(20, 200, 1), T0 + 30_000);
        history.record("a1", beat(30.26, 300, 2), T0 + MINUTE);

        List<HeartbeatHistory.Sample> samples = history.samples("a1", T0 + MINUTE + 1);

        assertThat(samples).containsExactly(
                new HeartbeatHistory.Sample(T0, 20, 20, 25, 1),
                new HeartbeatHistory.Sample(T0 + MINUTE, 30.3, 30, 25, 2));
    }

    @Test
    void minutesWithoutHeartbeatsStayEmptyAndAnHourOldSamplesLeave() {
        history.record("a1", beat(10, 0, 0), T0);
        history.record("a1", beat(50, 0, 0), T0 + 5 * MINUTE);

        assertThat(history.samples("a1", T0 + 5 * MINUTE)).extracting(HeartbeatHistory.Sample::at)
                .containsExactly(T0, T0 + 5 * MINUTE);
        assertThat(history.samples("a1", T0 + 60 * MINUTE)).extracting(HeartbeatHistory.Sample::at)
                .containsExactly(T0 + 5 * MINUTE);
        history.record("a1", beat(70, 0, 0), T0 + 63 * MINUTE);
        assertThat(history.samples("a1", T0 + 63 * MINUTE)).extracting(HeartbeatHistory.Sample::cpuPercent)
                .containsExactly(50.0, 70.0);
    }

    @Test
    void aRingNeverHoldsMoreThanAnHourAfterALongGap() {
        for (int minute = 0; minute < 200; minute += 7) {
            history.record("a1", beat(minute % 100, 0, 0), T0 + minute * MINUTE);
        }
        List<HeartbeatHistory.Sample> samples = history.samples("a1", T0 + 193 * MINUTE);
        assertThat(samples).hasSizeLessThanOrEqualTo(HeartbeatHistory.SLOTS);
        assertThat(samples).allMatch(sample -> sample.at() > T0 + 133 * MINUTE);
    }

    @Test
    void valuesAreClampedAndAHugeOutboxSaturates() {
        history.record("a1", Heartbeat.newBuilder().setCpuPercent(250).setOutboxDepth(-1L)
                .setMemUsedBytes(5).setMemTotalBytes(0).build(), T0);

        HeartbeatHistory.Sample sample = history.samples("a1", T0).get(0);

        assertThat(sample.cpuPercent()).isEqualTo(100);
        assertThat(sample.memPercent()).isZero();
        assertThat(sample.outboxDepth()).isEqualTo(HeartbeatHistory.Ring.MAX_OUTBOX);
    }

    @Test
    void outboxDepthsFirstReportedMidHourKeepTheEarlierEmptyMinutesAtZero() {
        history.record("a1", beat(1, 0, 0), T0);
        history.record("a1", beat(1, 0, 7), T0 + MINUTE);
        history.record("a1", beat(1, 0, 0), T0 + 2 * MINUTE);

        assertThat(history.samples("a1", T0 + 2 * MINUTE)).extracting(HeartbeatHistory.Sample::outboxDepth)
                .containsExactly(0L, 7L, 0L);
    }

    @Test
    void percentagesKeepATenthOfAPercent() {
        history.record("a1", beat(12.34, 123, 0), T0);

        HeartbeatHistory.Sample sample = history.samples("a1", T0).get(0);

        assertThat(sample.cpuPercent()).isEqualTo(12.3);
        assertThat(sample.memPercent()).isEqualTo(12.3);
        assertThat(sample.diskPercent()).isEqualTo(25.0);
    }

    @Test
    void sweepForgetsAgentsSilentForAnHour() {
        history.record("old", beat(1, 0, 0), T0);
        history.record("new", beat(1, 0, 0), T0 + 30 * MINUTE);

        history.sweep(T0 + 60 * MINUTE);

        assertThat(history.size()).isEqualTo(1);
        assertThat(history.samples("old", T0 + 60 * MINUTE)).isEmpty();
        assertThat(history.samples("new", T0 + 60 * MINUTE)).hasSize(1);
    }
}
