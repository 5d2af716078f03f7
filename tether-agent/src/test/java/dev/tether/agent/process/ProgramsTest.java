package dev.tether.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramsTest {

    @TempDir
    Path dir;

    @Test
    void aMissingProgramIsFoundOutBeforeStarting() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "echo hi");
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(Programs.problem("sh", "/nowhere:/bin:/usr/bin", null)).isNull();
        assertThat(Programs.problem("nope-xyz", "/bin:/usr/bin", null))
                .isEqualTo("cannot run nope-xyz: no such file or directory in PATH (/bin:/usr/bin)");
        assertThat(Programs.problem(plain.toString(), null, null)).contains("permission denied");
        assertThat(Programs.problem("./missing", null, null)).contains("no such file or directory");
    }
}
