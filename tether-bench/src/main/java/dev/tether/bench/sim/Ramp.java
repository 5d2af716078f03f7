package dev.tether.bench.sim;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Dials clients 0, 1, 2 ... up to a target, at most {@code perSecond} per
 * second (0: unlimited) and with at most {@code maxInFlight} dials between
 * start and handshake. Driven by one periodic task on one loop while there
 * is something to dial.
 *
 * <p>Thread safe: {@link #extendTo} and {@link #stop} hop to the loop;
 * {@link #finished} may be called from any thread.
 */
public final class Ramp {

    private static final long TICK_MILLIS = 10;

    private final EventLoop loop;
    private final int perSecond;
    private final int maxInFlight;
    private final IntConsumer dial;
    private final int size;
    private final AtomicInteger inFlight = new AtomicInteger();
    // Loop only.
    private int target;
    private int next;
    private double budget;
    private long lastNanos;
    private ScheduledFuture<?> task;

    /**
     * @param dial starts dialling client i; whoever completes or fails that dial calls {@link #finished}
     * @param size how many clients there are
     */
    public Ramp(EventLoop loop, int perSecond, int maxInFlight, int size, IntConsumer dial) {
        this.loop = loop;
        this.perSecond = perSecond;
        this.maxInFlight = maxInFlight;
        this.size = size;
        this.dial = dial;
    }

    /** Dials clients up to (excluding) {@code count}, beyond those dialled already. */
    public void extendTo(int count) {
        loop.execute(() -> {
            target = Math.max(target, Math.min(count, size));
            if (task == null && next < target) {
                lastNanos = System.nanoTime();
                budget = 0;
                task = loop.scheduleAtFixedRate(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** A dial this ramp started reached its handshake or failed. */
    public void finished() {
        inFlight.decrementAndGet();
    }

    public void stop() {
        loop.execute(() -> {
            if (task != null) {
                task.cancel(false);
                task = null;
            }
        });
    }

    private void tick() {
        long now = System.nanoTime();
        budget = perSecond > 0 ? Math.min(perSecond, budget + perSecond * (now - lastNanos) / 1e9) : Integer.MAX_VALUE;
        lastNanos = now;
        while (next < target && budget >= 1 && inFlight.get() < maxInFlight) {
            budget--;
            inFlight.incrementAndGet();
            dial.accept(next++);
        }
        if (next >= target && task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
