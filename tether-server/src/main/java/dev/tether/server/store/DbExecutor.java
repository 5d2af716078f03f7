package dev.tether.server.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fixed pool of threads on which every blocking database call runs, so
 * none runs on a Vert.x event loop.
 *
 * <p>The queue has no capacity of its own because each producer is bounded:
 * a per-agent lane queues at most one turn at a time (one entry per connected
 * agent), housekeeping jobs (the last_seen flush, the dispatcher's housekeeper
 * and reconciler, the event broadcaster's drain) are single-flight, and {@link #call} admits at most
 * {@link #MAX_PENDING_CALLS} requests, failing the rest with
 * {@link RejectedExecutionException} (the API answers 503).
 *
 * <p>Thread safe.
 */
public final class DbExecutor implements Executor, AutoCloseable {

    /** REST calls waiting or running at once; more are refused, not queued. */
    public static final int MAX_PENDING_CALLS = 1024;
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(DbExecutor.class);

    private final ThreadPoolExecutor pool;
    private final Semaphore callPermits = new Semaphore(MAX_PENDING_CALLS);

    private DbExecutor(int threads) {
        AtomicInteger counter = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    Thread thread = new Thread(task, "tether-db-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    public static DbExecutor create(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive, was " + threads);
        }
        return new DbExecutor(threads);
    }

    public int threads() {
        return pool.getMaximumPoolSize();
    }

    /** Runs a task from a bounded producer (a lane, a housekeeping job). */
    @Override
    public void execute(Runnable task) {
        pool.execute(task);
    }

    /**
     * Runs {@code work} on a database thread and completes the returned future
     * on {@code context}. Fails with {@link RejectedExecutionException} when
     * {@link #MAX_PENDING_CALLS} calls are already pending.
     */
    public <T> Future<T> call(Context context, Callable<T> work) {
        Promise<T> promise = Promise.promise();
        if (!callPermits.tryAcquire()) {
            return Future.failedFuture(new RejectedExecutionException(
                    "more than " + MAX_PENDING_CALLS + " database calls pending"));
        }
        try {
            pool.execute(() -> {
                try {
                    T result = work.call();
                    context.runOnContext(v -> promise.complete(result));
                } catch (Exception | Error e) {
                    context.runOnContext(v -> promise.fail(e));
                } finally {
                    callPermits.release();
                }
            });
        } catch (RejectedExecutionException e) {
            callPermits.release();
            return Future.failedFuture(e);
        }
        return promise.future();
    }

    /** Stops taking work and waits a while for running tasks. */
    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("database tasks still running after {}; abandoning them", SHUTDOWN_GRACE);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
