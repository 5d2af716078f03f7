package dev.tether.agent.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The applied configuration as plain files in the state dir, for tools and
 * scripts on the host (the database stays the source of truth):
 * <ul>
 * <li>{@code config.json}: the configuration JSON exactly as the server sent it;
 * <li>{@code config.version}: its version, decimal ASCII digits and a newline.
 * </ul>
 * Each is written to a temporary file, forced to disk and renamed over the old
 * one, so a reader sees the old or the new file, never a torn one. The JSON is
 * written first: {@code config.version} never names a version newer than
 * {@code config.json}. Both are mode 0600. Not thread safe; one writer at a time.
 */
public final class ConfigFiles {

    public static final String JSON_FILE = "config.json";
    public static final String VERSION_FILE = "config.version";

    private final Path dir;

    public ConfigFiles(Path stateDir) {
        this.dir = stateDir;
    }

    public Path json() {
        return dir.resolve(JSON_FILE);
    }

    public Path version() {
        return dir.resolve(VERSION_FILE);
    }

    public void write(long version, String json) throws IOException {
        replace(json(), json.getBytes(StandardCharsets.UTF_8));
        replace(version(), (version + "\n").getBytes(StandardCharsets.US_ASCII));
        forceDirectory();
    }

    /** The version in {@code config.version}, 0 when the file is missing or unreadable. */
    public long writtenVersion() {
        try {
            return Long.parseLong(Files.readString(version(), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            // Missing or damaged: reconcile() rewrites it from the database.
            return 0;
        }
    }

    /**
     * Rewrites the files when they lag the database (the agent died between
     * committing a configuration and writing them).
     *
     * @return whether they were rewritten
     */
    public boolean reconcile(StoredState state) throws IOException {
        if (state.configVersion() == 0 || state.configJson() == null) {
            return false;
        }
        if (writtenVersion() == state.configVersion() && Files.exists(json())) {
            return false;
        }
        write(state.configVersion(), state.configJson());
        return true;
    }

    private void replace(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        FileModes.createPrivateFile(temp);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Makes the renames durable: on Linux a rename is on disk only once its directory is. */
    private void forceDirectory() {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the rename still happened.
        }
    }
}
