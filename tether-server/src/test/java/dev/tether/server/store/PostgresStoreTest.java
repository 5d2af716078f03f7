package dev.tether.server.store;

import dev.tether.server.testing.TestDatabase;

class PostgresStoreTest extends StoreTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }
}
