package dev.tether.agent.connection;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Welcome;

/** A {@link Receiver} for tests about the connection itself: every payload is dropped. */
final class IgnoringReceiver implements Receiver {

    @Override
    public void welcomed(Welcome welcome) {
    }

    @Override
    public void apply(Envelope envelope, boolean unknownPayload) {
    }

    @Override
    public void ignore(Envelope envelope, boolean unknownPayload) {
    }
}
