package dev.tether.protocol;

/** Protocol versions this build speaks, and the negotiation rule. */
public final class ProtocolVersion {

    /** Oldest version this build still speaks. */
    public static final int MIN = 1;
    /** Newest version this build speaks. */
    public static final int MAX = 1;

    private ProtocolVersion() {
    }

    /**
     * The highest version both sides speak.
     *
     * @throws ProtocolException with {@link CloseCodes#UNSUPPORTED_VERSION} when the ranges do not meet
     */
    public static int negotiate(int peerMin, int peerMax) throws ProtocolException {
        if (peerMin <= 0 || peerMax < peerMin) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "invalid protocol range " + peerMin + ".." + peerMax);
        }
        int chosen = Math.min(MAX, peerMax);
        if (chosen < Math.max(MIN, peerMin)) {
            throw new ProtocolException(CloseCodes.UNSUPPORTED_VERSION,
                    "no common protocol version: peer speaks " + peerMin + ".." + peerMax
                            + ", this side " + MIN + ".." + MAX + "; upgrade the older side");
        }
        return chosen;
    }
}
