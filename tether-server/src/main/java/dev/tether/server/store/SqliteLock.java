package dev.tether.server.store;

import dev.tether.server.auth.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The lock that makes a SQLite database a single node's: a {@code .lock} file beside the database, locked by
 * the server process for as long as it runs. The operating system releases it when the process dies, however
 * it dies, so a restart after a crash starts at once, and a second server on the same database is refused.
 */
public final class SqliteLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private SqliteLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks the database at {@code jdbcUrl} ({@code jdbc:sqlite:PATH}).
     *
     * @throws IllegalStateException when another process holds it
     */
    public static SqliteLock acquire(String jdbcUrl) throws IOException {
        Path database = databaseFile(jdbcUrl);
        Path file = Path.of(database + ".lock");
        PrivateFiles.file(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process: a second server started in the same JVM
        }
        if (lock == null) {
            String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
            channel.close();
            throw new IllegalStateException("another tether server (" + (holder.isEmpty() ? "unknown pid" : holder)
                    + ") uses the SQLite database " + database + ": SQLite serves a single node. Stop that server, "
                    + "give this one its own --data-dir, or run several nodes on PostgreSQL (--db jdbc:postgresql://...)");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
        channel.force(true);
        return new SqliteLock(channel, lock);
    }

    /** The file of the database at {@code jdbcUrl} ({@code jdbc:sqlite:PATH[?OPTIONS]}). */
    static Path databaseFile(String jdbcUrl) {
        return Path.of(jdbcUrl.substring("jdbc:sqlite:".length()).split("\\?", 2)[0]);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
