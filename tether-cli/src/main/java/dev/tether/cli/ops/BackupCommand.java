package dev.tether.cli.ops;

import dev.tether.server.store.SqliteNative;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tether backup FILE}: a consistent copy of a running server's SQLite store ({@code GET /api/v1/backup},
 * admin), saved to FILE (mode 0600: it holds key hashes, job output, the audit log) and checked before it is
 * given that name: SQLite's integrity check on the copy, and the agents it holds. A server on PostgreSQL answers
 * that {@code pg_dump} is the tool.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Save a consistent copy of the running server's SQLite store to FILE (admin).",
                "Restore: stop the server, put the file in place of DATA_DIR/tether.db (remove tether.db-wal and "
                        + "tether.db-shm), start it. On PostgreSQL use pg_dump."})
public final class BackupCommand implements Callable<Integer> {

    /** How long the server may take to write the copy before it starts sending it. */
    static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(30);

    @Mixin
    ApiOptions api;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Where to save the copy; must not exist "
            + "(unless --force).")
    Path file;

    @Option(names = "--force", description = "Replace FILE if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (Files.exists(file) && !force) {
            throw new IllegalArgumentException(file + " exists: choose another file, or pass --force to replace it");
        }
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot save to " + file + ": directory " + dir + " does not exist");
        }
        Path partial = dir.resolve(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        try {
            Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException | NoSuchFileException e) {
            throw new IllegalArgumentException("cannot create " + partial + ": " + e.getMessage());
        }
        try {
            long bytes = api.client().download("/api/v1/backup", partial, SNAPSHOT_TIMEOUT);
            long agents = check(partial);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "saved %s: %.1f MiB, %d agent(s), integrity ok%n", file, bytes / 1048576.0,
                    agents);
            out.flush();
            return 0;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * SQLite's own check of the copy; the number of agents it holds. SQLite's native library is unpacked beside
     * the copy (and deleted at exit), not into the temporary directory, which a hardened host mounts
     * {@code noexec}; sqlite-jdbc cannot try another place once a load failed.
     */
    private static long check(Path copy) {
        SqliteNative.unpackIn(copy.toAbsolutePath().getParent());
        try {
            return checkOnce(copy);
        } catch (SQLException e) {
            throw notChecked(e);
        }
    }

    private static long checkOnce(Path copy) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + copy.toAbsolutePath()
                + "?open_mode=1");
                Statement statement = connection.createStatement()) {
            try (ResultSet result = statement.executeQuery("PRAGMA integrity_check")) {
                String verdict = result.next() ? result.getString(1) : "no answer";
                if (!"ok".equals(verdict)) {
                    throw new ApiException(0, "the copy the server sent fails SQLite's integrity check (" + verdict
                            + "): nothing was saved; try again, and check the server's disk");
                }
            }
            try (ResultSet count = statement.executeQuery("SELECT count(*) FROM agents")) {
                count.next();
                return count.getLong(1);
            }
        }
    }

    private static ApiException notChecked(SQLException e) {
        String nativeLibrary = SqliteNative.describeFailure(e, "save the copy in a directory where you may write "
                + "and run files, or set -D" + SqliteNative.TMPDIR + "=DIR in TETHER_JAVA_OPTS");
        if (nativeLibrary != null) {
            return new ApiException(0, "cannot check the copy: " + nativeLibrary + "; nothing was saved");
        }
        return new ApiException(0, "the copy the server sent is not a Tether database (" + e.getMessage()
                + "): nothing was saved");
    }
}
