package dev.tether.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.bench.sim.Credentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyCacheTest {

    @TempDir
    Path dir;

    @Test
    void keysAreKeptPrivatelyAndReadBack() throws Exception {
        KeyCache cache = KeyCache.at(dir.resolve("server-data.keys.tsv"));
        List<Credentials> agents = List.of(new Credentials("bench-1", "id-1", "tak_one"),
                new Credentials("bench-2", "id-2", "tak_two"));
        cache.save(agents);
        assertThat(cache.load()).containsExactlyElementsOf(agents);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.file())))
                .isEqualTo("rw-------");
    }

    @Test
    void aMissingCacheIsEmpty() throws Exception {
        assertThat(KeyCache.at(dir.resolve("none.tsv")).load()).isEmpty();
    }
}
