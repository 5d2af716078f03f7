package dev.tether.server.api;

import dev.tether.server.testing.TestDatabase;

/** {@link AgentListContract} on SQLite. */
class AgentListSqliteTest extends AgentListContract {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }
}
