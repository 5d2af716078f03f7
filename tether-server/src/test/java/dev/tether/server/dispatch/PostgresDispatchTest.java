package dev.tether.server.dispatch;

import dev.tether.server.testing.TestDatabase;

class PostgresDispatchTest extends DispatchTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }
}
