package dev.tether.server.hub;

import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A hashed timer wheel of connections, so the liveness checks visit only the connections due in the current
 * tick instead of scanning all of them every tick. A connection sits in exactly one slot, the one of the
 * first tick at or after its due time; a frame that arrives meanwhile only moves its due time later (a field
 * the connection writes, not the wheel), and the visit finds that out and files it again. So a connection
 * heartbeating every interval is visited about once per {@code 3 intervals} (its dead-peer deadline) instead
 * of ten times per interval, and a frame costs the wheel nothing.
 *
 * <p>A due time more than one revolution ahead is visited once per revolution and filed again. A visit may be
 * up to one tick late, which the rules account for (see {@link Hub#scan}).
 *
 * <p>Threads: {@link #add} from any thread (it queues); {@link #advance} from one thread at a time (the hub's
 * timer), which owns the slots.
 */
final class LivenessWheel {

    /** The rules the wheel applies; called on the advancing thread. */
    interface Rules {

        /** Whether the connection is still watched (not closed and forgotten). */
        boolean watched(LiveConnection connection);

        /**
         * Applies the liveness rules at {@code nowNanos}.
         *
         * @return true when the connection was closed, so the wheel drops it
         */
        boolean closeIfDead(LiveConnection connection, long nowNanos);

        /** The earliest time a rule could close the connection, given what it knows now. */
        long dueNanos(LiveConnection connection);
    }

    private final long tickNanos;
    private final Rules rules;
    private final ArrayList<LiveConnection>[] slots;
    private final Queue<LiveConnection> arrivals = new ConcurrentLinkedQueue<>();
    /** The last tick visited; advancing thread only. */
    private long visitedTick = Long.MIN_VALUE;

    /** @param horizonNanos the longest time between a connection's visits the rules need */
    @SuppressWarnings("unchecked")
    LivenessWheel(long tickNanos, long horizonNanos, Rules rules) {
        this.tickNanos = tickNanos;
        this.rules = rules;
        int count = (int) Math.min(1 << 16, horizonNanos / tickNanos + 2);
        this.slots = new ArrayList[count];
        for (int i = 0; i < count; i++) {
            slots[i] = new ArrayList<>();
        }
    }

    /** Starts watching a connection; it is checked at the next {@link #advance}. */
    void add(LiveConnection connection) {
        arrivals.add(connection);
    }

    /** Checks the new connections and every connection due by {@code nowNanos}. */
    void advance(long nowNanos) {
        long target = Math.floorDiv(nowNanos, tickNanos);
        if (visitedTick == Long.MIN_VALUE) {
            visitedTick = target - 1;
        }
        LiveConnection arrived;
        while ((arrived = arrivals.poll()) != null) {
            visit(arrived, nowNanos);
        }
        long from = Math.max(visitedTick + 1, target - slots.length + 1);
        for (long tick = from; tick <= target; tick++) {
            int slot = (int) Math.floorMod(tick, (long) slots.length);
            ArrayList<LiveConnection> due = slots[slot];
            slots[slot] = new ArrayList<>(Math.min(due.size(), 16));
            visitedTick = tick;
            for (LiveConnection connection : due) {
                visit(connection, nowNanos);
            }
        }
        visitedTick = Math.max(visitedTick, target);
    }

    /** Connections filed in the wheel, excluding those not yet taken in (tests). */
    int size() {
        int size = 0;
        for (ArrayList<LiveConnection> slot : slots) {
            size += slot.size();
        }
        return size;
    }

    private void visit(LiveConnection connection, long nowNanos) {
        if (!rules.watched(connection) || rules.closeIfDead(connection, nowNanos)) {
            return;
        }
        long tick = Math.max(ceilDiv(rules.dueNanos(connection), tickNanos), visitedTick + 1);
        tick = Math.min(tick, visitedTick + slots.length);
        slots[(int) Math.floorMod(tick, (long) slots.length)].add(connection);
    }

    private static long ceilDiv(long x, long y) {
        return -Math.floorDiv(-x, y);
    }
}
