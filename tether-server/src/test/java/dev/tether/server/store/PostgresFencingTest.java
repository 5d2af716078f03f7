package dev.tether.server.store;

import dev.tether.server.testing.TestDatabase;

class PostgresFencingTest extends FencingTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }
}
