package dev.tether.server.gateway;

import dev.tether.server.testing.TestDatabase;

class PostgresReliableDeliveryTest extends ReliableDeliveryTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }
}
