package dev.tether.server.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;

/**
 * A consistent copy of the SQLite store while the server runs: {@code VACUUM INTO} on a connection of its own,
 * which reads one snapshot of the database (writers go on meanwhile, in WAL mode) and writes it compacted into a
 * new file, mode 0600. PostgreSQL has its own tools ({@code pg_dump}); the caller refuses it.
 */
public final class Backup {

    private Backup() {
    }

    /**
     * Writes the copy into a new file in {@code dir} (the data dir: same file system, same permissions as the
     * database) and returns it; the caller deletes it when done.
     *
     * @throws IllegalStateException for a PostgreSQL store
     */
    public static Path snapshot(Database db, Path dir) throws SQLException, IOException {
        if (db.dialect() != Dialect.SQLITE) {
            throw new IllegalStateException("not a SQLite store");
        }
        Path file = dir.resolve("backup-" + UUID.randomUUID() + ".db.partial");
        try (Connection connection = db.openDedicated();
                PreparedStatement vacuum = connection.prepareStatement("VACUUM INTO ?")) {
            vacuum.setString(1, file.toAbsolutePath().toString());
            vacuum.execute();
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (SQLException | IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }
}
