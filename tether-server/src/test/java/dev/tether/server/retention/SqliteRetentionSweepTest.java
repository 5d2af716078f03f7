package dev.tether.server.retention;

import dev.tether.server.testing.TestDatabase;

class SqliteRetentionSweepTest extends RetentionSweepTest {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }
}
