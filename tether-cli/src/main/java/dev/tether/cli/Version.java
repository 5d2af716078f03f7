package dev.tether.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest, or "dev" when run from classes. */
public final class Version implements IVersionProvider {

    public static String current() {
        // Its own class, not Main: the agent-only jar carries this class and not Main.
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"tether " + current() + " (Java " + Runtime.version() + ")"};
    }
}
