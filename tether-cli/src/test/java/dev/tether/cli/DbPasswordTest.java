package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DbPasswordTest {

    private static final String URL = "jdbc:postgresql://db:5432/tether?user=tether";

    @TempDir
    Path dir;

    @Test
    void aPasswordInTheUrlIsRefusedAndTheMessageNamesTheWaysInButNotThePassword() {
        assertThatThrownBy(() -> DbPassword.resolve(URL + "&password=hunter2-secret", null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--db-password-file").hasMessageContaining("TETHER_DB_PASSWORD")
                .hasMessageNotContaining("hunter2-secret");
        assertThatThrownBy(() -> DbPassword.resolve("jdbc:postgresql://db/t?PASSWORD=x", null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFileWinsOverTheEnvironmentAndIsStripped() throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), "from-file\n");

        assertThat(DbPassword.resolve(URL, file, "from-env")).isEqualTo("from-file");
        assertThat(DbPassword.resolve(URL, null, "from-env")).isEqualTo("from-env");
        assertThat(DbPassword.resolve(URL, null, null)).isNull();
    }

    @Test
    void aMissingOrEmptyFileOrAPasswordForSqliteIsRefused() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), " \n");

        assertThatThrownBy(() -> DbPassword.resolve(URL, dir.resolve("missing"), null))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> DbPassword.resolve(URL, empty, null)).hasMessageContaining("is empty");
        assertThatThrownBy(() -> DbPassword.resolve(null, null, "pw")).hasMessageContaining("SQLite");
    }
}
