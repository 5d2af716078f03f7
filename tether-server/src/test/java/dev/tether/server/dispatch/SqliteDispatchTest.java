package dev.tether.server.dispatch;

import dev.tether.server.testing.TestDatabase;

class SqliteDispatchTest extends DispatchTest {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }
}
