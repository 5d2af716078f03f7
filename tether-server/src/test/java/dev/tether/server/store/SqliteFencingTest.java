package dev.tether.server.store;

import dev.tether.server.testing.TestDatabase;

class SqliteFencingTest extends FencingTest {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }
}
