package dev.tether.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-thread counters: the sum over live threads, threads that ended and virtual threads, nothing lost. */
class ThreadCountersTest {

    @Test
    void theSumCountsEveryThreadsAddsIncludingThreadsThatEndedAndVirtualOnes() throws InterruptedException {
        ThreadCounters counters = new ThreadCounters(2);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread.Builder builder = t % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
            threads.add(builder.start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    counters.add(0, 1, 1, 3);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        counters.add(0, 5);

        assertThat(counters.sum(0)).isEqualTo(80_005);
        assertThat(counters.sum(1)).as("again, after the ended threads were folded in").isEqualTo(240_000);
        assertThat(counters.sum(0)).isEqualTo(80_005);
    }
}
