package dev.tether.bench.sim;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeats for every client on one event loop from one periodic task: the
 * interval is cut into slots and each online client sits in one slot; a tick
 * sends the heartbeats of one slot (and lets each client check its dead-peer
 * deadline). Used by the simulated agents and by the MQTT peer's clients.
 * So the loop runs one timer, not one per client, and clients keep the phase
 * they connected with.
 *
 * <p>Agents that went offline are dropped lazily, when their slot comes up.
 * If a Welcome announces a different interval, the wheel is rebuilt for it.
 *
 * <p>Not thread safe: owned by its event loop.
 */
public final class HeartbeatWheel {

    /** Shortest tick; a 30 s interval gets 1,000 slots of 30 ms. */
    static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    static final int MAX_SLOTS = 1000;

    private final EventLoop loop;
    private long intervalNanos;
    private List<List<Member>> slots = List.of();
    private long tick;
    private ScheduledFuture<?> timer;

    public HeartbeatWheel(EventLoop loop) {
        this.loop = loop;
    }

    /** The number of slots for an interval: one per {@link #MIN_TICK_NANOS}, between 1 and {@link #MAX_SLOTS}. */
    static int slotsFor(long intervalNanos) {
        return (int) Math.max(1, Math.min(MAX_SLOTS, intervalNanos / MIN_TICK_NANOS));
    }

    /**
     * Adds a client that just sent its first heartbeat: its next one is due one
     * interval from now, so it goes in the slot just behind the current one.
     */
    public void add(Member member, long memberIntervalNanos) {
        if (memberIntervalNanos != intervalNanos) {
            rebuild(memberIntervalNanos);
        }
        if (member.wheelSlot() >= 0) {
            return;
        }
        int slot = (int) ((tick + slots.size() - 1) % slots.size());
        slots.get(slot).add(member);
        member.wheelSlot(slot);
    }

    public void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void run() {
        List<Member> slot = slots.get((int) (tick % slots.size()));
        tick++;
        long now = System.nanoTime();
        for (int i = slot.size() - 1; i >= 0; i--) {
            Member member = slot.get(i);
            if (member.online()) {
                member.tick(now);
            } else {
                // Swap-remove: order within a slot does not matter.
                Member last = slot.remove(slot.size() - 1);
                if (i < slot.size()) {
                    slot.set(i, last);
                }
                member.wheelSlot(-1);
            }
        }
    }

    private void rebuild(long newIntervalNanos) {
        List<Member> everyone = new ArrayList<>();
        slots.forEach(everyone::addAll);
        stop();
        intervalNanos = newIntervalNanos;
        int count = slotsFor(newIntervalNanos);
        List<List<Member>> fresh = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            fresh.add(new ArrayList<>());
        }
        slots = fresh;
        tick = 0;
        for (int i = 0; i < everyone.size(); i++) {
            Member member = everyone.get(i);
            int slot = i % count;
            fresh.get(slot).add(member);
            member.wheelSlot(slot);
        }
        long tickNanos = newIntervalNanos / count;
        timer = loop.scheduleAtFixedRate(this::run, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    }

    /** A client the wheel beats for. Called on the wheel's loop only. */
    public interface Member {
        /** Whether it is connected; offline members leave the wheel. */
        boolean online();

        /** Its turn: send a heartbeat, or end a connection whose peer went silent. */
        void tick(long nowNanos);

        /** The slot it sits in, -1 when in none; kept by the wheel. */
        int wheelSlot();

        void wheelSlot(int slot);
    }
}
