package dev.tether.server.gateway;

import dev.tether.server.testing.TestDatabase;

class SqliteReliableDeliveryTest extends ReliableDeliveryTest {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }
}
