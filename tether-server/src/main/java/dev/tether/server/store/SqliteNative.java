package dev.tether.server.store;

import java.nio.file.Path;
import org.sqlite.NativeLibraryNotFoundException;

/**
 * Where sqlite-jdbc unpacks its native library before loading it. Left alone, it writes a new copy into
 * {@code java.io.tmpdir} at every start, and a host whose {@code /tmp} is mounted {@code noexec} (a common
 * hardening rule) cannot load it: the server could not open its database, nor {@code tether backup} check its
 * copy. Both unpack into a directory of their own instead; sqlite-jdbc deletes its copy at exit and any stale
 * one at the next start.
 */
public final class SqliteNative {

    /** sqlite-jdbc's own setting for the directory it unpacks into. */
    public static final String TMPDIR = "org.sqlite.tmpdir";
    /** Set by whoever ships the library unpacked: then nothing is unpacked. */
    private static final String LIB_PATH = "org.sqlite.lib.path";

    private SqliteNative() {
    }

    /** Has sqlite-jdbc unpack into {@code dir}, unless the operator chose a place. */
    public static void unpackIn(Path dir) {
        if (System.getProperty(TMPDIR) == null && System.getProperty(LIB_PATH) == null) {
            System.setProperty(TMPDIR, dir.toAbsolutePath().toString());
        }
    }

    /** Has sqlite-jdbc unpack beside the database at {@code jdbcUrl}, unless the operator chose a place. */
    public static void unpackBeside(String jdbcUrl) {
        unpackIn(SqliteLock.databaseFile(jdbcUrl).toAbsolutePath().getParent());
    }

    /**
     * Why opening failed, when it was the native library: where it was unpacked, and {@code remedy}; null when
     * the failure was another one.
     */
    public static String describeFailure(Throwable failure, String remedy) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof NativeLibraryNotFoundException || cause instanceof UnsatisfiedLinkError) {
                String dir = System.getProperty(TMPDIR, System.getProperty("java.io.tmpdir"));
                return "SQLite's native library could not be unpacked into " + dir + " and loaded from there (is "
                        + "it read-only, or on a file system mounted noexec?); " + remedy + " (the log above has "
                        + "the loader's own error)";
            }
        }
        return null;
    }
}
