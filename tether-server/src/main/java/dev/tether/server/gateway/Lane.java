package dev.tether.server.gateway;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serial executor over a shared pool: tasks run one at a time, in
 * submission order, on whichever pool thread is free. No thread of its own.
 *
 * <p>A lane takes at most {@link #TASKS_PER_TURN} tasks per turn and then goes
 * to the back of the pool's queue, so one busy agent cannot starve the others.
 * It holds at most one entry in the pool's queue at any time.
 *
 * <p>Its queue is bounded by its producers: an agent connection submits one
 * handshake, at most one pending service task (coalesced) and one release. It
 * exists only while tasks wait: a dense node holds one lane per idle agent, and
 * an empty concurrent queue cost about 70 bytes of each.
 *
 * <p>A task that throws, an {@code Error} included, is logged and the lane
 * carries on: one agent's failure never stops its lane or the pool thread.
 *
 * <p>Thread safe.
 */
final class Lane implements Executor {

    static final int TASKS_PER_TURN = 16;
    private static final Logger LOG = LoggerFactory.getLogger(Lane.class);
    /** An updater rather than an {@code AtomicBoolean}: a dense node holds one lane per idle agent. */
    private static final AtomicIntegerFieldUpdater<Lane> SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(Lane.class, "scheduled");

    private final Executor pool;
    /** Tasks not yet run, oldest first; null while there are none. Guarded by this. */
    private ArrayDeque<Runnable> tasks;
    /** Whether a turn is queued in or running on the pool (1) or not (0); any thread, by {@link #SCHEDULED}. */
    private volatile int scheduled;
    /** Connections of the agent using this lane; guarded by the owning {@link AgentLanes} map entry. */
    int users;

    Lane(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            if (tasks == null) {
                tasks = new ArrayDeque<>(4);
            }
            tasks.add(task);
        }
        schedule();
    }

    /** The oldest task not yet run, or null; the queue goes when it empties. */
    private synchronized Runnable poll() {
        if (tasks == null) {
            return null;
        }
        Runnable task = tasks.poll();
        if (tasks.isEmpty()) {
            tasks = null;
        }
        return task;
    }

    private synchronized boolean waiting() {
        return tasks != null;
    }

    private void schedule() {
        if (SCHEDULED.compareAndSet(this, 0, 1)) {
            pool.execute(this::turn);
        }
    }

    private void turn() {
        try {
            for (int i = 0; i < TASKS_PER_TURN; i++) {
                Runnable task = poll();
                if (task == null) {
                    break;
                }
                runOne(task);
            }
        } finally {
            // Cleared whatever happened, or no turn would ever be scheduled again and the agent's later
            // connections would wait for a handshake forever.
            scheduled = 0;
            // A task added after the last poll but before the flag cleared must not be stranded.
            if (waiting()) {
                schedule();
            }
        }
    }

    /**
     * Runs one task; whatever it throws, an {@code Error} too, is logged and the lane goes on with the next
     * (the task's own guard has already ended its connection, and its transaction rolled back).
     */
    private static void runOne(Runnable task) {
        try {
            task.run();
        } catch (Throwable e) {
            LOG.error("lane task failed", e);
        }
    }
}
