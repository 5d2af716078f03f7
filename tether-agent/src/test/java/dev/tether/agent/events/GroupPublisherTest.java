package dev.tether.agent.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.state.StateStore;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrent publishers share transactions, and each still gets its own events back, durable and in order. */
class GroupPublisherTest {

    @TempDir
    Path dir;

    private static List<Envelope> events(String thread, int from, int count) {
        return IntStream.range(from, from + count)
                .mapToObj(i -> AgentEvents.envelope("t." + thread, "{\"n\":" + i + "}", i)).toList();
    }

    @Test
    void sixteenThreadsStoreEveryEventOnceWithConsecutiveSeqsAndEachThreadsEventsInItsOrder() throws Exception {
        try (StateStore store = StateStore.open(dir)) {
            AtomicInteger transactions = new AtomicInteger();
            GroupPublisher publisher = new GroupPublisher(envelopes -> {
                transactions.incrementAndGet();
                return store.outbox().append(envelopes);
            });
            int threads = 16;
            int perThread = 200;
            Map<String, List<Long>> seqsByThread = new ConcurrentHashMap<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String name = "p" + t;
                    done.add(pool.submit(() -> {
                        List<Long> seqs = new ArrayList<>();
                        for (int i = 0; i < perThread; i += 2) {
                            for (Envelope stored : publisher.publish(events(name, i, 2))) {
                                assertThat(stored.getAgentEvent().getType()).isEqualTo("t." + name);
                                seqs.add(stored.getSeq());
                            }
                        }
                        seqsByThread.put(name, seqs);
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get(60, TimeUnit.SECONDS);
                }
            }

            List<Envelope> all = store.outbox().read(1, threads * perThread + 10);
            assertThat(all).hasSize(threads * perThread);
            assertThat(all.stream().map(Envelope::getSeq).toList())
                    .isEqualTo(IntStream.rangeClosed(1, threads * perThread).mapToObj(i -> (long) i).toList());
            for (int t = 0; t < threads; t++) {
                String type = "t.p" + t;
                List<String> payloads = all.stream().filter(e -> e.getAgentEvent().getType().equals(type))
                        .map(e -> e.getAgentEvent().getPayloadJson().toStringUtf8()).toList();
                assertThat(payloads).isEqualTo(IntStream.range(0, perThread).mapToObj(i -> "{\"n\":" + i + "}")
                        .toList());
                List<Long> seqs = seqsByThread.get("p" + t);
                assertThat(seqs).isSorted().hasSize(perThread);
            }
            // Without grouping every call is a transaction of its own: threads * perThread / 2.
            assertThat(transactions.get()).isLessThan(threads * perThread / 2);
        }
    }

    @Test
    void callersThatArriveDuringAStoreAreStoredTogetherInTheNextTransaction() throws Exception {
        CountDownLatch firstStoreEntered = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger seq = new AtomicInteger();
        GroupPublisher publisher = new GroupPublisher(blockingFirst(firstStoreEntered, releaseFirst, batchSizes,
                seq));
        try (ExecutorService pool = Executors.newFixedThreadPool(9)) {
            Future<List<Envelope>> first = pool.submit(() -> publisher.publish(events("first", 0, 1)));
            assertThat(firstStoreEntered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<List<Envelope>>> followers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String name = "f" + t;
                followers.add(pool.submit(() -> publisher.publish(events(name, 0, 3))));
            }
            awaitQueued(publisher, 8);
            releaseFirst.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(1);
            for (Future<List<Envelope>> follower : followers) {
                List<Envelope> stored = follower.get(10, TimeUnit.SECONDS);
                assertThat(stored).hasSize(3);
                assertThat(stored.get(1).getSeq()).isEqualTo(stored.get(0).getSeq() + 1);
                assertThat(stored.get(2).getSeq()).isEqualTo(stored.get(0).getSeq() + 2);
            }
        }
        assertThat(batchSizes).containsExactly(1, 24);
    }

    @Test
    void aFailedStoreFailsEveryCallerInItsBatchAndTheNextBatchIsUnaffected() throws Exception {
        CountDownLatch firstStoreEntered = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        GroupPublisher publisher = new GroupPublisher(envelopes -> {
            int call = calls.incrementAndGet();
            if (call == 1) {
                firstStoreEntered.countDown();
                await(releaseFirst);
                return envelopes;
            }
            if (call == 2) {
                throw new OutOfMemoryError("simulated: the store threw an Error mid-transaction");
            }
            return envelopes;
        });
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            Future<List<Envelope>> first = pool.submit(() -> publisher.publish(events("first", 0, 1)));
            assertThat(firstStoreEntered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<List<Envelope>>> batch = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                String name = "b" + t;
                batch.add(pool.submit(() -> publisher.publish(events(name, 0, 1))));
            }
            awaitQueued(publisher, 3);
            releaseFirst.countDown();
            first.get(10, TimeUnit.SECONDS);

            int errors = 0;
            int wrapped = 0;
            for (Future<List<Envelope>> caller : batch) {
                try {
                    caller.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof OutOfMemoryError) {
                        errors++;
                    } else {
                        assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("could not store the events")
                                .hasCauseInstanceOf(OutOfMemoryError.class);
                        wrapped++;
                    }
                }
            }
            assertThat(errors).as("the caller whose thread ran the store gets the Error itself").isEqualTo(1);
            assertThat(wrapped).isEqualTo(2);
        }
        assertThat(publisher.publish(events("after", 0, 2))).hasSize(2);
    }

    @Test
    void aRuntimeFailureReachesTheCallerAsThrown() {
        GroupPublisher publisher = new GroupPublisher(envelopes -> {
            throw new IllegalStateException("the agent state store is closed");
        });

        assertThatThrownBy(() -> publisher.publish(events("x", 0, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessage("the agent state store is closed");
    }

    private static Function<List<Envelope>, List<Envelope>> blockingFirst(CountDownLatch entered,
            CountDownLatch release, List<Integer> batchSizes, AtomicInteger seq) {
        return envelopes -> {
            batchSizes.add(envelopes.size());
            if (batchSizes.size() == 1) {
                entered.countDown();
                await(release);
            }
            return envelopes.stream().map(e -> e.toBuilder().setSeq(seq.incrementAndGet()).build()).toList();
        };
    }

    private static void awaitQueued(GroupPublisher publisher, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (publisher.queued() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + publisher.queued() + " of " + count + " callers queued");
            }
            Thread.sleep(5);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
