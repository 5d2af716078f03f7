package dev.tether.cli.e2e;

import dev.tether.server.testing.TestDatabase;

/** The channel scenarios on PostgreSQL: one embedded server for the test JVM, a fresh database per test. */
class PostgresChannelTest extends ChannelScenarios {

    @Override
    String freshDatabase() {
        return TestDatabase.POSTGRESQL.freshJdbcUrl(dir);
    }
}
