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
     * @param cpuPercent whole-host CPU, 0-100, to a tenth of a percent (as memory and disk)
     * @param memPercent memory used, 0-100 (0 when the agent reports no total)
     * @param diskPercent disk used, 0-100 (0 when the agent reports no total)
     * @param outboxDepth reliable messages waiting on the agent, saturated at {@link Ring#MAX_OUTBOX}
     */
    public record Sample(long at, double cpuPercent, double memPercent, double diskPercent, long outboxDepth) {
    }

    /** Records {@code heartbeat} as the sample of the minute of {@code nowMillis}; the same one twice is a no-op. */
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
     * advances are cleared, so a stale slot never reads as new.
     *
     * <p>Layout, 256 bytes for an idle agent: {@link #slots} packs the three percentages of a sample into one
     * {@code int}, low bits first, each in tenths of a percent (10 bits: 0-1000): CPU, memory used, disk used.
     * {@link #EMPTY} (all ones: CPU 102.3 %, beyond 100 %) marks an empty slot. The outbox depths are a
     * second array, {@link #outbox}, allocated only when the agent first reports a non-empty outbox, which an
     * idle agent never does; until then every depth is 0. Guarded by its own monitor.
     */
    static final class Ring {

        static final int EMPTY = -1;
        static final long MAX_OUTBOX = Integer.MAX_VALUE;
        private static final int PERCENT_BITS = 10;
        private static final int PERCENT_MASK = (1 << PERCENT_BITS) - 1;
        /** Tenths of a percent. */
        private static final double PERCENT_SCALE = 10.0;

        private final int[] slots = new int[SLOTS];
        /** Outbox depth per slot (saturated at {@link #MAX_OUTBOX}); null while every depth recorded was 0. */
        private int[] outbox;
        private long newestMinute = Long.MIN_VALUE;

        Ring() {
            Arrays.fill(slots, EMPTY);
        }

        void put(Heartbeat heartbeat, long minute) {
            if (minute < newestMinute) {
                // The wall clock stepped back: keep the ring consistent by writing into the newest slot.
                minute = newestMinute;
            }
            advanceTo(minute);
            int index = index(minute);
            slots[index] = pack(heartbeat);
            int depth = outboxDepth(heartbeat);
            if (depth != 0 && outbox == null) {
                outbox = new int[SLOTS];
            }
            if (outbox != null) {
                outbox[index] = depth;
            }
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
                int index = index(m);
                if (slots[index] != EMPTY) {
                    samples.add(unpack(slots[index], outbox == null ? 0 : outbox[index], m * SLOT.toMillis()));
                }
            }
            return samples;
        }

        private static int index(long minute) {
            return (int) Math.floorMod(minute, (long) SLOTS);
        }

        static int pack(Heartbeat heartbeat) {
            int cpu = tenths(heartbeat.getCpuPercent());
            int mem = tenths(percent(heartbeat.getMemUsedBytes(), heartbeat.getMemTotalBytes()));
            int disk = tenths(percent(heartbeat.getDiskUsedBytes(), heartbeat.getDiskTotalBytes()));
            return cpu | mem << PERCENT_BITS | disk << (2 * PERCENT_BITS);
        }

        /** The wire's uint64 depth, saturated at {@link #MAX_OUTBOX}. */
        static int outboxDepth(Heartbeat heartbeat) {
            return Long.compareUnsigned(heartbeat.getOutboxDepth(), MAX_OUTBOX) > 0 ? (int) MAX_OUTBOX
                    : (int) heartbeat.getOutboxDepth();
        }

        static Sample unpack(int packed, int outboxDepth, long at) {
            return new Sample(at,
                    (packed & PERCENT_MASK) / PERCENT_SCALE,
                    (packed >>> PERCENT_BITS & PERCENT_MASK) / PERCENT_SCALE,
                    (packed >>> (2 * PERCENT_BITS) & PERCENT_MASK) / PERCENT_SCALE,
                    outboxDepth);
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

        /** A percentage in tenths, clamped to 0-100 % (NaN counts as 0). */
        private static int tenths(double percent) {
            if (!(percent > 0)) {
                return 0;
            }
            return (int) Math.min(1_000, Math.round(percent * PERCENT_SCALE));
        }
    }
}
