package dev.tether.agent.state;

import java.nio.file.Path;
import org.sqlite.NativeLibraryNotFoundException;

/**
 * Where sqlite-jdbc unpacks its native library before loading it. Left alone, it writes a new copy into
 * {@code java.io.tmpdir} at every start, and a host whose {@code /tmp} is mounted {@code noexec} (a common
 * hardening rule) cannot load it: the agent could not open its state at all. The state dir is the agent's own,
 * and a place it may run code from on such hosts too; sqlite-jdbc deletes its copy at exit and any stale one at
 * the next start.
 */
final class SqliteNative {

    /** sqlite-jdbc's own setting for the directory it unpacks into. */
    static final String TMPDIR = "org.sqlite.tmpdir";
    /** Set by an application that ships the library unpacked: then nothing is unpacked. */
    private static final String LIB_PATH = "org.sqlite.lib.path";

    private SqliteNative() {
    }

    /** Has sqlite-jdbc unpack into {@code stateDir}, unless the application or the operator chose a place. */
    static void unpackIn(Path stateDir) {
        if (System.getProperty(TMPDIR) == null && System.getProperty(LIB_PATH) == null) {
            System.setProperty(TMPDIR, stateDir.toAbsolutePath().toString());
        }
    }

    /** Why opening failed, said so an operator can act, when it was the native library; null otherwise. */
    static String describeFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof NativeLibraryNotFoundException || cause instanceof UnsatisfiedLinkError) {
                String dir = System.getProperty(TMPDIR, System.getProperty("java.io.tmpdir"));
                return "SQLite's native library could not be unpacked into " + dir + " and loaded from there (is "
                        + "it read-only, or on a file system mounted noexec?); use a --state-dir where the agent's "
                        + "user may write and run files, or set -D" + TMPDIR + "=DIR in TETHER_AGENT_JAVA_OPTS "
                        + "(the log above has the loader's own error)";
            }
        }
        return null;
    }
}
