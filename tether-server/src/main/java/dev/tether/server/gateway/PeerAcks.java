package dev.tether.server.gateway;

/**
 * What an agent acknowledged that the database does not record yet, written in its session's next transaction
 * (with the payloads it applies, when there are any), so a turn of the session commits once instead of up to
 * three times.
 *
 * @param outboxUpTo the agent's outbox is acknowledged up to here: rows to delete, the acknowledged point to
 *     move; 0 for nothing
 * @param deliveredUpTo jobs whose CommandRequest has a seq up to here become delivered; 0 for nothing
 */
record PeerAcks(long outboxUpTo, long deliveredUpTo) {

    static final PeerAcks NONE = new PeerAcks(0, 0);

    boolean any() {
        return outboxUpTo > 0 || deliveredUpTo > 0;
    }
}
