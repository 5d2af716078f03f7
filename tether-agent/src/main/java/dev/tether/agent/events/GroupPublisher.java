package dev.tether.agent.events;

import dev.tether.protocol.v1.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Group commit for events published by concurrent threads: each durable store is one transaction and one
 * fsync, so callers that arrive while one is being stored wait (parked, not queued on a lock: a convoy through
 * the lock would hand it over one caller at a time), and the next of them stores all of theirs in one
 * transaction. A lone publisher pays exactly what it paid without this; sixteen pay about one fsync for
 * the lot instead of sixteen.
 *
 * <p>Each caller's events stay together and in its order, and the caller returns only once they are durable.
 * A batch is one transaction: when storing it fails, nothing of it is stored and every caller in it gets the
 * failure (the one whose thread ran the store gets it as thrown; an {@code Error} reaches the others wrapped
 * in an {@link IllegalStateException}).
 *
 * <p>Thread safe.
 */
public final class GroupPublisher {

    /** Envelopes stored in one transaction at most; a caller's own list is never split. */
    static final int MAX_BATCH = 1024;

    private final Function<List<Envelope>, List<Envelope>> store;
    private final Queue<Request> queue = new ConcurrentLinkedQueue<>();
    /** Held by the thread storing a batch. */
    private final ReentrantLock storing = new ReentrantLock();
    /** Longest wait between checks of a parked caller. */
    private static final long PARK_NANOS = 1_000_000L;

    /** @param store stores envelopes durably in one transaction and returns them as stored, in order */
    public GroupPublisher(Function<List<Envelope>, List<Envelope>> store) {
        this.store = store;
    }

    /** Stores {@code envelopes} durably, with those of concurrent callers; returns them as stored, in order. */
    public List<Envelope> publish(List<Envelope> envelopes) {
        Request mine = new Request(envelopes, Thread.currentThread());
        queue.add(mine);
        while (!mine.done) {
            if (storing.tryLock()) {
                try {
                    // Another caller may have stored this request while this one waited.
                    while (!mine.done) {
                        storeBatch();
                    }
                } finally {
                    storing.unlock();
                }
                // Whoever queued meanwhile stores next, all of them at once.
                Request next = queue.peek();
                if (next != null) {
                    LockSupport.unpark(next.thread);
                }
            } else {
                // Woken when stored, or when the storer is done and this request is next in line; the timeout
                // only covers a wake-up that came before this thread parked.
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        }
        return mine.result();
    }

    /** Callers waiting to be stored (tests). */
    int queued() {
        return queue.size();
    }

    private void storeBatch() {
        List<Request> batch = new ArrayList<>();
        List<Envelope> envelopes = new ArrayList<>();
        Request next;
        while ((next = queue.peek()) != null
                && (batch.isEmpty() || envelopes.size() + next.envelopes.size() <= MAX_BATCH)) {
            queue.poll();
            batch.add(next);
            envelopes.addAll(next.envelopes);
        }
        List<Envelope> stored;
        try {
            stored = store.apply(envelopes);
        } catch (RuntimeException | Error e) {
            for (Request request : batch) {
                request.fail(e, Thread.currentThread());
                LockSupport.unpark(request.thread);
            }
            return;
        }
        int from = 0;
        for (Request request : batch) {
            int to = from + request.envelopes.size();
            request.succeed(stored.subList(from, to));
            LockSupport.unpark(request.thread);
            from = to;
        }
    }

    /** One caller's envelopes and their outcome; written by the storing thread with the lock held. */
    private static final class Request {

        final List<Envelope> envelopes;
        final Thread thread;
        volatile boolean done;
        private List<Envelope> stored;
        private Throwable failure;
        /** The thread that ran the failed store. */
        private Thread storer;

        Request(List<Envelope> envelopes, Thread thread) {
            this.envelopes = envelopes;
            this.thread = thread;
        }

        void succeed(List<Envelope> result) {
            stored = List.copyOf(result);
            done = true;
        }

        void fail(Throwable cause, Thread thread) {
            failure = cause;
            storer = thread;
            done = true;
        }

        List<Envelope> result() {
            if (failure == null) {
                return stored;
            }
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failure instanceof Error error && Thread.currentThread() == storer) {
                throw error;
            }
            throw new IllegalStateException("could not store the events: " + failure, failure);
        }
    }
}
