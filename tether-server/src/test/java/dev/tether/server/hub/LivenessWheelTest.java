package dev.tether.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The wheel on its own: every connection closed within one tick after its due time, none before, none lost. */
class LivenessWheelTest {

    private static final long TICK = 100;

    /** Rules over due times the test sets: closed once the clock passes its due time. */
    private static final class DueTimes implements LivenessWheel.Rules {

        final Map<LiveConnection, Long> due = new HashMap<>();
        final Map<LiveConnection, Long> closedAt = new HashMap<>();
        final Set<LiveConnection> forgotten = new HashSet<>();
        int visits;

        @Override
        public boolean watched(LiveConnection connection) {
            return !forgotten.contains(connection);
        }

        @Override
        public boolean closeIfDead(LiveConnection connection, long nowNanos) {
            visits++;
            if (nowNanos >= due.get(connection)) {
                closedAt.put(connection, nowNanos);
                return true;
            }
            return false;
        }

        @Override
        public long dueNanos(LiveConnection connection) {
            return due.get(connection);
        }
    }

    @Test
    void everyConnectionIsClosedWithinATickOfItsDueTimeEvenFarBeyondOneRevolution() {
        DueTimes rules = new DueTimes();
        LivenessWheel wheel = new LivenessWheel(TICK, 20 * TICK, rules);
        Random random = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            RecordingConnection connection = new RecordingConnection("a" + i, 0);
            // Some due within the wheel's horizon, some several revolutions out, some due already.
            rules.due.put(connection, (long) random.nextInt(100 * (int) TICK) - TICK / 2);
            wheel.add(connection);
        }
        RecordingConnection forgotten = new RecordingConnection("gone", 0);
        rules.due.put(forgotten, 50 * TICK);
        wheel.add(forgotten);

        for (long now = 0; now <= 110 * TICK; now += TICK) {
            if (now == 10 * TICK) {
                rules.forgotten.add(forgotten);
            }
            wheel.advance(now);
        }

        assertThat(rules.closedAt).hasSize(5_000).doesNotContainKey(forgotten);
        rules.closedAt.forEach((connection, closed) -> assertThat(closed - rules.due.get(connection))
                .as("closed after its due time by less than a tick").isBetween(0L, TICK - 1));
        assertThat(wheel.size()).isZero();
        assertThat(rules.visits).as("each visited a few times, not once per tick").isLessThan(5_000 * 10);
    }

    @Test
    void aClockThatJumpsPastTheWholeWheelStillVisitsEverySlot() {
        DueTimes rules = new DueTimes();
        LivenessWheel wheel = new LivenessWheel(TICK, 10 * TICK, rules);
        wheel.advance(0);
        for (int i = 0; i < 100; i++) {
            RecordingConnection connection = new RecordingConnection("a" + i, 0);
            rules.due.put(connection, (long) i * TICK / 10 + TICK);
            wheel.add(connection);
        }
        wheel.advance(TICK / 2);

        wheel.advance(1_000 * TICK);

        assertThat(rules.closedAt).hasSize(100);
    }
}
