package dev.tether.bench.server;

import dev.tether.bench.sim.Credentials;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Agent keys the bench enrolled, kept beside the server's data directory so a
 * later run against the same data directory reuses them instead of enrolling
 * thousands of agents again.
 *
 * <p>File format: UTF-8 text, one agent per line, {@code name TAB id TAB key};
 * mode 0600, as it holds secrets. Entries whose agent the server no longer
 * knows (the data directory was wiped) are dropped on load.
 *
 * <p>Thread safe (stateless apart from the file).
 */
public final class KeyCache {

    private final Path file;

    private KeyCache(Path file) {
        this.file = file;
    }

    public static KeyCache at(Path file) {
        return new KeyCache(file);
    }

    public Path file() {
        return file;
    }

    /**
     * At least {@code count} agents the server knows: cached ones first, then
     * newly enrolled ones (which are added to the cache).
     *
     * @return exactly {@code count} agents
     */
    public List<Credentials> ensure(AdminClient admin, int count, int concurrency)
            throws IOException, InterruptedException {
        Map<String, String> known = admin.agentStatuses();
        List<Credentials> usable = new ArrayList<>(load().stream().filter(c -> known.containsKey(c.id())).toList());
        if (usable.size() < count) {
            String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 6);
            usable.addAll(admin.createAgents(prefix, count - usable.size(), concurrency));
            save(usable);
        }
        return List.copyOf(usable.subList(0, count));
    }

    List<Credentials> load() throws IOException {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<Credentials> all = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String[] cells = line.split("\t");
            if (cells.length == 3) {
                all.add(new Credentials(cells[0], cells[1], cells[2]));
            }
        }
        return all;
    }

    void save(List<Credentials> all) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        StringBuilder text = new StringBuilder();
        for (Credentials c : all) {
            text.append(c.name()).append('\t').append(c.id()).append('\t').append(c.key()).append('\n');
        }
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
