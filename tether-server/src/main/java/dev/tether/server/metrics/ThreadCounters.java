package dev.tether.server.metrics;

import java.lang.ref.WeakReference;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A few counters bumped on hot paths (every frame of every agent) and read only when {@code /metrics} is
 * scraped: each thread adds to cells of its own with a plain read and an ordered write, no atomic
 * read-modify-write and no shared cache line, and a scrape sums the cells. A thread that ended has its cells
 * folded into a retired total at the next scrape, so a pool that replaces threads does not grow the list.
 *
 * <p>Thread safe. A scrape racing an increment may miss it; the next scrape sees it.
 */
final class ThreadCounters {

    private final int count;
    private final ThreadLocal<Cells> mine = ThreadLocal.withInitial(this::register);
    private final CopyOnWriteArrayList<Cells> all = new CopyOnWriteArrayList<>();
    /** Guarded by this: the sums of threads that ended. */
    private final long[] retired;
    /** Virtual threads share atomic cells: one each would make every new one copy the list. */
    private final AtomicLongArray shared;

    /** @param count how many counters, indexed from 0 */
    ThreadCounters(int count) {
        this.count = count;
        this.retired = new long[count];
        this.shared = new AtomicLongArray(count);
    }

    void add(int counter, long amount) {
        if (Thread.currentThread().isVirtual()) {
            shared.addAndGet(counter, amount);
            return;
        }
        AtomicLongArray cells = mine.get().values;
        cells.lazySet(counter, cells.get(counter) + amount);
    }

    /** Two counters at once, as a frame's count and its bytes. */
    void add(int first, long firstAmount, int second, long secondAmount) {
        if (Thread.currentThread().isVirtual()) {
            shared.addAndGet(first, firstAmount);
            shared.addAndGet(second, secondAmount);
            return;
        }
        AtomicLongArray cells = mine.get().values;
        cells.lazySet(first, cells.get(first) + firstAmount);
        cells.lazySet(second, cells.get(second) + secondAmount);
    }

    /** The counter's total over every thread, ended ones included. */
    synchronized long sum(int counter) {
        long total = retired[counter] + shared.get(counter);
        for (Cells cells : all) {
            Thread thread = cells.thread.get();
            if (thread == null || !thread.isAlive()) {
                all.remove(cells);
                for (int i = 0; i < count; i++) {
                    retired[i] += cells.values.get(i);
                }
                total += cells.values.get(counter);
            } else {
                total += cells.values.get(counter);
            }
        }
        return total;
    }

    private Cells register() {
        Cells cells = new Cells(Thread.currentThread(), count);
        all.add(cells);
        return cells;
    }

    private static final class Cells {

        final WeakReference<Thread> thread;
        final AtomicLongArray values;

        Cells(Thread thread, int count) {
            this.thread = new WeakReference<>(thread);
            this.values = new AtomicLongArray(count);
        }
    }
}
