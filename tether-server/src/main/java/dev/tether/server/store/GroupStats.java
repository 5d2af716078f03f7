package dev.tether.server.store;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the group-commit writer's groups looked like lately, logged at DEBUG once per {@link #PERIOD} in which
 * there were any: groups, members per group (mean and largest), and the writer's time split between the
 * members' work and the {@code COMMIT} (the fsync). It says whether a load is really
 * grouped (a herd of agents' turns should make groups of many) and whether the writer or the disk is the
 * bound.
 *
 * <p>Not thread safe: owned by the writer thread.
 */
final class GroupStats {

    static final Duration PERIOD = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(GroupStats.class);

    private long windowStartNanos = System.nanoTime();
    private long groups;
    private long members;
    private int largest;
    private long workNanos;
    private long commitNanos;

    /** A group committed (or failed) after {@code workNanos} of its members' work and {@code commitNanos}. */
    void record(int size, long workNanos, long commitNanos) {
        groups++;
        members += size;
        largest = Math.max(largest, size);
        this.workNanos += workNanos;
        this.commitNanos += commitNanos;
        long now = System.nanoTime();
        long window = now - windowStartNanos;
        if (window >= PERIOD.toNanos()) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("database writer, last {} ms: {} groups, {} members ({} per group, largest {}), "
                        + "work {} ms, commit {} ms ({} ms per commit)", window / 1_000_000, groups, members,
                        String.format("%.1f", (double) members / groups), largest, this.workNanos / 1_000_000,
                        this.commitNanos / 1_000_000, String.format("%.2f", this.commitNanos / 1e6 / groups));
            }
            windowStartNanos = now;
            groups = 0;
            members = 0;
            largest = 0;
            this.workNanos = 0;
            this.commitNanos = 0;
        }
    }
}
