package dev.tether.server.gateway;

import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.events.PresenceEvents;
import dev.tether.server.hub.Hub;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.shell.ShellBroker;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.Database;
import java.time.Duration;

/** What every agent connection shares: created once by the gateway. Immutable. */
record ConnectionServices(
        Hub hub,
        ServerMetrics metrics,
        Database db,
        AgentSessionStore sessions,
        InboundApplier applier,
        AgentLanes lanes,
        Dispatcher dispatcher,
        PresenceEvents presence,
        ShellBroker shells,
        Duration heartbeatInterval) {
}
