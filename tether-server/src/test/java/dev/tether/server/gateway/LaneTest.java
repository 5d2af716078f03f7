package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LaneTest {

    @Test
    void tasksOfOneLaneRunOneAtATimeInOrderAcrossPoolThreads() {
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            Lane lane = new Lane(pool);
            List<Integer> order = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger running = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();

            for (int i = 0; i < 1000; i++) {
                int n = i;
                lane.execute(() -> {
                    if (running.incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    order.add(n);
                    running.decrementAndGet();
                });
            }

            await().atMost(Duration.ofSeconds(5)).until(() -> order.size() == 1000);
            assertThat(overlaps).hasValue(0);
            for (int i = 0; i < 1000; i++) {
                assertThat(order.get(i)).isEqualTo(i);
            }
        }
    }

    @Test
    void aFailingTaskDoesNotStopTheLane() {
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Lane lane = new Lane(pool);
            AtomicInteger ran = new AtomicInteger();

            lane.execute(() -> {
                throw new IllegalStateException("boom (expected by the test)");
            });
            lane.execute(ran::incrementAndGet);

            await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 1);
        }
    }

    @Test
    void anErrorThrownByATaskDoesNotStopTheLane() {
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Lane lane = new Lane(pool);
            AtomicInteger ran = new AtomicInteger();

            lane.execute(() -> {
                throw new StackOverflowError("thrown by the test");
            });
            lane.execute(ran::incrementAndGet);
            await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 1);
            lane.execute(() -> {
                throw new AssertionError("thrown by the test");
            });
            lane.execute(ran::incrementAndGet);

            await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 2);
        }
    }

    @Test
    void laneOfAnAgentIsSharedByItsConnectionsAndDroppedAfterTheLastRelease() {
        AgentLanes lanes = new AgentLanes(Runnable::run);

        Lane first = lanes.acquire("a1");
        Lane second = lanes.acquire("a1");
        lanes.release("a1");

        assertThat(second).isSameAs(first);
        assertThat(lanes.size()).isEqualTo(1);
        lanes.release("a1");
        assertThat(lanes.size()).isZero();
        assertThat(lanes.acquire("a1")).isNotSameAs(first);
    }
}
