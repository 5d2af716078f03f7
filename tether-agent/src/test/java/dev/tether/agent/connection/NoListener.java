package dev.tether.agent.connection;

import dev.tether.protocol.v1.Welcome;

/** A {@link Session.Listener} for tests of a session alone: told nothing. */
final class NoListener implements Session.Listener {

    @Override
    public void established(Session session, Welcome welcome) {
    }

    @Override
    public void acknowledged() {
    }
}
