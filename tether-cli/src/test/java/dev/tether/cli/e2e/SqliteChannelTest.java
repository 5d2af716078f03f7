package dev.tether.cli.e2e;

/** The channel scenarios on the default embedded store. */
class SqliteChannelTest extends ChannelScenarios {

    @Override
    String freshDatabase() {
        return null;
    }
}
