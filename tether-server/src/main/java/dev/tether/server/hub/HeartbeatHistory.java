package dev.tether.server.hub;

import dev.tether.protocol.v1.Heartbeat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last hour of each agent's heartbeats, one sample per minute, for the
 * web UI's charts (the hub itself only holds the latest heartbeat).
 *
 * <p>Each agent has a ring of {@link #SLOTS} one-minute slots; a slot holds the
 * last heartbeat recorded in its minute, packed into one {@code long} (see
 * {@link Ring}), so an agent costs about 600 bytes however often it beats. A
 * minute without a heartbeat (the agent was offline) stays empty. An agent
 * whose newest sample left the window is forgotten by {@link #sweep}, so the
 * map is bounded by the agents seen in the last hour.
 *
 * <p>Thread safe: the map is concurrent and each ring is guarded by itself.
 */
public final class HeartbeatHistory {

    /** Width of one sample. */
    public static final Duration SLOT = Duration.ofMinutes(1);
    /** Samples kept per agent: one hour. */
    public static final int SLOTS = 60;
    /** How often the hub copies each connection's last heartbeat in; well under a slot, so none is skipped. */
    public static final Duration SAMPLE_PERIOD = Duration.ofSeconds(10);

    private final Map<String, Ring> rings = new ConcurrentHashMap<>();

    /**
     * One sample.
     *
     * @param at epoch millis of the start of its minute
     * @param cpuPercent whole-host CPU, 0-100
     * @param memPercent memory used, 0-100 (0 when the agent reports no total)
     * @param diskPercent disk used, 0-100 (0 when the agent reports no total)
     * @param outboxDepth reliable messages waiting on the agent, saturated at {@link Ring#MAX_OUTBOX}
     */
    public record Sample(long at, double cpuPercent, double memPercent, double diskPercent, long outboxDepth) {
    }

    /** Records {@code heartbeat} as the sample of the minute of {@code nowMillis}; the same object twice is a no-op. */
    public void record(String agentId, Heartbeat heartbeat, long nowMillis) {
        if (heartbeat == null) {
            return;
        }
        Ring ring = rings.computeIfAbsent(agentId, id -> new Ring());
        synchronized (ring) {
            ring.put(heartbeat, nowMillis / SLOT.toMillis());
        }
    }

    /** The agent's samples of the last hour up to {@code nowMillis}, oldest first; empty minutes are left out. */
    public List<Sample> samples(String agentId, long nowMillis) {
        Ring ring = rings.get(agentId);
        if (ring == null) {
            return List.of();
        }
        synchronized (ring) {
            return ring.samples(nowMillis / SLOT.toMillis());
        }
    }

    /** Forgets agents without a sample in the last hour. */
    public void sweep(long nowMillis) {
        long minute = nowMillis / SLOT.toMillis();
        rings.values().removeIf(ring -> {
            synchronized (ring) {
                return ring.newestMinute <= minute - SLOTS;
            }
        });
    }

    /** Agents with a history: for tests and metrics. */
    int size() {
        return rings.size();
    }

    /**
     * One agent's ring. A slot is the sample of minute {@code m} at index {@code m % SLOTS}, valid when
     * {@code m} is within {@link #SLOTS} of {@link #newestMinute}; slots of minutes skipped when the ring
     * advances are cleared, so a stale slot never reads as new. Packing, low bits first: CPU in hundredths
     * of a percent (14 bits), memory and disk use in hundredths of a percent (14 bits each), outbox depth
     * (22 bits, saturated). {@link #EMPTY} (all ones: CPU 16383, beyond 100 %) marks an empty slot.
     * Guarded by its own monitor.
     */
    static final class Ring {

        static final long EMPTY = -1L;
        static final long MAX_OUTBOX = (1L << 22) - 1;
        private static final int PERCENT_BITS = 14;
        private static final long PERCENT_MASK = (1L << PERCENT_BITS) - 1;

        private final long[] slots = new long[SLOTS];
        private long newestMinute = Long.MIN_VALUE;
        /** The heartbeat recorded last, to skip recording one object twice. */
        private Heartbeat last;

        Ring() {
            Arrays.fill(slots, EMPTY);
        }

        void put(Heartbeat heartbeat, long minute) {
            if (heartbeat == last && minute == newestMinute) {
                return;
            }
            if (minute < newestMinute) {
                // The wall clock stepped back: keep the ring consistent by writing into the newest slot.
                minute = newestMinute;
            }
            advanceTo(minute);
            slots[index(minute)] = pack(heartbeat);
            last = heartbeat;
        }

        private void advanceTo(long minute) {
            if (newestMinute != Long.MIN_VALUE) {
                long skipped = Math.min(minute - newestMinute, SLOTS);
                for (long m = minute - skipped + 1; m < minute; m++) {
                    slots[index(m)] = EMPTY;
                }
            }
            newestMinute = minute;
        }

        List<Sample> samples(long nowMinute) {
            List<Sample> samples = new ArrayList<>(SLOTS);
            if (newestMinute == Long.MIN_VALUE) {
                return samples;
            }
            long newest = Math.min(newestMinute, nowMinute);
            for (long m = Math.max(newest - SLOTS + 1, nowMinute - SLOTS + 1); m <= newest; m++) {
                long packed = slots[index(m)];
                if (packed != EMPTY) {
                    samples.add(unpack(packed, m * SLOT.toMillis()));
                }
            }
            return samples;
        }

        private static int index(long minute) {
            return (int) Math.floorMod(minute, (long) SLOTS);
        }

        static long pack(Heartbeat heartbeat) {
            long cpu = hundredths(heartbeat.getCpuPercent());
            long mem = hundredths(percent(heartbeat.getMemUsedBytes(), heartbeat.getMemTotalBytes()));
            long disk = hundredths(percent(heartbeat.getDiskUsedBytes(), heartbeat.getDiskTotalBytes()));
            long outbox = Long.compareUnsigned(heartbeat.getOutboxDepth(), MAX_OUTBOX) > 0 ? MAX_OUTBOX
                    : heartbeat.getOutboxDepth();
            return cpu | mem << PERCENT_BITS | disk << (2 * PERCENT_BITS) | outbox << (3 * PERCENT_BITS);
        }

        static Sample unpack(long packed, long at) {
            return new Sample(at,
                    (packed & PERCENT_MASK) / 100.0,
                    (packed >>> PERCENT_BITS & PERCENT_MASK) / 100.0,
                    (packed >>> (2 * PERCENT_BITS) & PERCENT_MASK) / 100.0,
                    packed >>> (3 * PERCENT_BITS));
        }

        private static double percent(long used, long total) {
            if (total == 0) {
                return 0;
            }
            // The wire's uint64 read as unsigned, so a value past Long.MAX_VALUE does not turn negative.
            return 100.0 * unsigned(used) / unsigned(total);
        }

        private static double unsigned(long value) {
            return value >= 0 ? value : (value >>> 1) * 2.0;
        }

        /** A percentage in hundredths, clamped to 0-100 % (NaN counts as 0). */
        private static long hundredths(double percent) {
            if (!(percent > 0)) {
                return 0;
            }
            return Math.min(10_000, Math.round(percent * 100));
        }
    }
}
