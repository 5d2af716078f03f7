package dev.tether.protocol;

/** The two ends of a tether; each may send only payloads from its own number range. */
public enum Peer {
    AGENT(100, 199),
    SERVER(200, 299);

    /** Payload numbers either side may send. */
    static final int SHARED_FIRST = 300;
    static final int SHARED_LAST = 399;

    private final int first;
    private final int last;

    Peer(int first, int last) {
        this.first = first;
        this.last = last;
    }

    /** Whether this peer may send the payload with this field number. */
    public boolean maySend(int payloadNumber) {
        return (payloadNumber >= first && payloadNumber <= last)
                || (payloadNumber >= SHARED_FIRST && payloadNumber <= SHARED_LAST);
    }

    public Peer other() {
        return this == AGENT ? SERVER : AGENT;
    }
}
