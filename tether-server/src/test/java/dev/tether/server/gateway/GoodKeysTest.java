package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The recently good keys' table against a plain map, through growth, deletions and a full table. */
class GoodKeysTest {

    private static final long HOUR = 3_600_000_000_000L;

    @Test
    void behavesAsAMapThroughRandomGoodsAndForgets() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            GoodKeys table = new GoodKeys(1_000_000);
            Map<Long, Long> expected = new HashMap<>();
            // Few distinct keys with clustered slots, so probes collide, wrap and shift back on deletion.
            long[] universe = new long[300];
            for (int i = 0; i < universe.length; i++) {
                universe[i] = i < 3 ? i : random.nextLong();
            }
            for (int op = 0; op < 20_000; op++) {
                long key = universe[random.nextInt(universe.length)];
                long stored = key == 0 ? 1 : key;
                if (random.nextInt(3) == 0) {
                    table.forget(key);
                    expected.remove(stored);
                } else {
                    table.good(key, op, HOUR);
                    expected.put(stored, (long) op);
                }
                long probe = universe[random.nextInt(universe.length)];
                assertThat(table.lastGood(probe)).as("seed %d op %d", seed, op)
                        .isEqualTo(expected.getOrDefault(probe == 0 ? 1 : probe, Long.MIN_VALUE));
            }
            assertThat(table.size()).isEqualTo(expected.size());
            for (long key : universe) {
                assertThat(table.lastGood(key)).isEqualTo(expected.getOrDefault(key == 0 ? 1 : key, Long.MIN_VALUE));
            }
        }
    }

    @Test
    void aFullTableDropsExpiredKeysForANewOneAndOtherwiseRemembersNoMore() {
        GoodKeys table = new GoodKeys(100);
        for (long key = 1; key <= 100; key++) {
            table.good(key, key <= 40 ? 0 : HOUR, HOUR);
        }
        table.good(1_000, HOUR / 2, HOUR);
        assertThat(table.lastGood(1_000)).as("full, nothing expired yet").isEqualTo(Long.MIN_VALUE);
        assertThat(table.size()).isEqualTo(100);

        table.good(1_000, HOUR + 1, HOUR);

        assertThat(table.lastGood(1_000)).isEqualTo(HOUR + 1);
        assertThat(table.lastGood(1)).as("authenticated an hour before: forgotten").isEqualTo(Long.MIN_VALUE);
        assertThat(table.lastGood(41)).isEqualTo(HOUR);
        assertThat(table.size()).isEqualTo(61);
    }

    @Test
    void aKeyAlreadyRememberedIsRefreshedEvenWhenTheTableIsFull() {
        GoodKeys table = new GoodKeys(2);
        table.good(7, 0, HOUR);
        table.good(8, 0, HOUR);
        table.good(7, 5, HOUR);
        assertThat(table.lastGood(7)).isEqualTo(5);
    }
}
