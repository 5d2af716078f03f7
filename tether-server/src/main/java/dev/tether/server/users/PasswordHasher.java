package dev.tether.server.users;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where passwords are hashed and checked ({@link Passwords}, Argon2id: 19 MiB and tens of milliseconds of
 * CPU each): a pool of {@link #THREADS} threads of its own with a queue of {@link #QUEUE} waiting checks, so
 * that a flood of sign-ins never runs on the database threads the agents' lanes use, holds at most
 * {@code THREADS} × 19 MiB, and is refused (the API answers 503 with {@code Retry-After}) rather than queued
 * without end. Threads stop when idle for a minute.
 *
 * <p>Thread safe.
 */
public final class PasswordHasher {

    /** Hashes computed at once. */
    public static final int THREADS = 2;
    /** Hashes waiting for a thread at most; more are refused with {@link RejectedExecutionException}. */
    public static final int QUEUE = 16;
    /** What a refused caller is told to wait: about the time to drain a full queue. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(2);
    private static final Duration IDLE_THREAD_LIFETIME = Duration.ofMinutes(1);

    private final ThreadPoolExecutor pool;

    public PasswordHasher() {
        AtomicInteger counter = new AtomicInteger();
        pool = new ThreadPoolExecutor(THREADS, THREADS, IDLE_THREAD_LIFETIME.toMillis(), TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE), task -> {
                    Thread thread = new Thread(task, "tether-password-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
    }

    /** Whether {@code password} matches {@code encoded}; completes on {@code context}. */
    public Future<Boolean> verify(Context context, String password, String encoded) {
        return run(context, () -> Passwords.verify(password, encoded));
    }

    /**
     * The Argon2id hash of {@code password}; completes on {@code context}, failed with
     * {@link IllegalArgumentException} for a password too short.
     */
    public Future<Passwords.Hashed> hash(Context context, String password) {
        return run(context, () -> new Passwords.Hashed(Passwords.hash(password)));
    }

    private <T> Future<T> run(Context context, Callable<T> work) {
        Promise<T> promise = Promise.promise();
        try {
            pool.execute(() -> {
                try {
                    T result = work.call();
                    context.runOnContext(v -> promise.complete(result));
                } catch (Exception | Error e) {
                    context.runOnContext(v -> promise.fail(e));
                }
            });
        } catch (RejectedExecutionException full) {
            return Future.failedFuture(new RejectedExecutionException("more than " + (THREADS + QUEUE)
                    + " password checks at once"));
        }
        return promise.future();
    }
}
