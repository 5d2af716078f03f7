package dev.tether.server.api;

import dev.tether.server.testing.TestDatabase;

/** {@link AgentListContract} on PostgreSQL. */
class AgentListPostgresTest extends AgentListContract {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }
}
