package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {

    @TempDir
    Path dir;

    @Test
    void writeReplacesBothFilesWithOwnerOnlyModeAndNoTemporaryLeft() throws Exception {
        ConfigFiles files = new ConfigFiles(dir);
        files.write(3, "{\"a\":1}");
        files.write(4, "{\"a\":2}");
        assertThat(Files.readString(dir.resolve("config.json"))).isEqualTo("{\"a\":2}");
        assertThat(Files.readString(dir.resolve("config.version"))).isEqualTo("4\n");
        assertThat(files.writtenVersion()).isEqualTo(4);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.json()))).isEqualTo("rw-------");
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json",
                    "config.version");
        }
    }

    @Test
    void reconcileRewritesFilesThatLagTheDatabase() throws Exception {
        ConfigFiles files = new ConfigFiles(dir);
        files.write(1, "{}");
        StoredState state = new StoredState("a", "b", "c", 2, "{\"v\":2}", 0, 0);
        assertThat(files.reconcile(state)).isTrue();
        assertThat(Files.readString(files.json())).isEqualTo("{\"v\":2}");
        assertThat(files.reconcile(state)).isFalse();
    }

    @Test
    void reconcileLeavesADirWithoutConfigAlone() throws Exception {
        assertThat(new ConfigFiles(dir).reconcile(new StoredState(null, null, null, 0, null, 0, 0))).isFalse();
        try (var listing = Files.list(dir)) {
            assertThat(listing).isEmpty();
        }
    }
}
