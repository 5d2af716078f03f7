package dev.tether.agent.jobs;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads jobs run on: at most {@link #MAX_RUNNING} workers; up to
 * {@link #MAX_WAITING} more jobs wait in a bounded queue, in arrival order;
 * beyond that {@link #submit} refuses, and the job ends FAILED "agent busy" at
 * once (the server may send it again later as a new job). One timer thread runs
 * output flushes, timeouts and the SIGKILLs after the grace. Every thread is
 * created on demand and ends after {@link #IDLE_TIMEOUT} without work, so an idle
 * agent (or a test JVM with hundreds of agents) holds no job thread.
 *
 * <p>Thread safe.
 */
final class JobPool {

    /** Jobs running at once, of all types. */
    static final int MAX_RUNNING = 16;
    /** Jobs accepted and waiting for a worker. */
    static final int MAX_WAITING = 1000;
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private final ThreadPoolExecutor workers;
    private final ScheduledThreadPoolExecutor timers;

    JobPool() {
        workers = new ThreadPoolExecutor(MAX_RUNNING, MAX_RUNNING, IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(MAX_WAITING), daemons("tether-job-"));
        workers.allowCoreThreadTimeOut(true);
        timers = new ScheduledThreadPoolExecutor(1, daemons("tether-job-timer-"));
        timers.setKeepAliveTime(IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        timers.allowCoreThreadTimeOut(true);
        timers.setRemoveOnCancelPolicy(true);
    }

    /** @return false when the queue is full or the pool is shut down: the task will not run */
    boolean submit(Runnable task) {
        try {
            workers.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /**
     * Takes no more jobs and waits up to {@code wait} for the running ones. The
     * timers stop taking work too, but SIGKILLs already scheduled still fire.
     *
     * @return whether every job finished in time
     */
    boolean shutdown(Duration wait) {
        workers.shutdown();
        boolean finished;
        try {
            finished = workers.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        timers.shutdown();
        return finished;
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
