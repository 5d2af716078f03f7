package dev.tether.server.cluster;

/**
 * A server node as the {@code nodes} table has it. Times are epoch millis by the database's clock.
 *
 * @param leaseAgeMillis how long ago, by the database's clock, the node last renewed its lease
 */
public record NodeRow(String name, String advertiseUrl, String version, long startedAt, long renewedAt,
        long leaseMillis, int agents, boolean draining, boolean expired, long leaseAgeMillis) {

    /** {@code alive}, {@code draining} or {@code expired}: what operators see. */
    public String state() {
        if (expired || leaseAgeMillis > leaseMillis) {
            return "expired";
        }
        return draining ? "draining" : "alive";
    }
}
