package dev.tether.agent.connection;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Welcome;

/**
 * What the agent does with what the server sends. Called on the session's reader
 * thread, one call at a time, in the order frames arrive.
 */
public interface Receiver {

    /** The handshake completed; called before any reliable payload of the session. */
    void welcomed(Welcome welcome);

    /**
     * Applies a new reliable payload: its effect and its seq as the applied server
     * seq, durably and in one transaction. The caller acknowledges it afterwards.
     *
     * @param unknownPayload the payload's type is newer than this agent (apply as a no-op)
     */
    void apply(Envelope envelope, boolean unknownPayload);

    /** A live payload this agent does not handle (yet), or of an unknown type. */
    void ignore(Envelope envelope, boolean unknownPayload);
}
