package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA file an operator command cannot use is a usage error that names the file and where it was given, before
 * anything is sent (the server at the URL is never reached: nothing listens there). The TLS handshakes with and
 * without the right CA are in {@code TlsEndToEndTest}.
 */
class CaFileTest {

    private static final String URL = "https://127.0.0.1:1";

    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();

    @Test
    void aMissingCaFileIsAUsageErrorNamingTheFlagAndTheFile() {
        Path missing = dir.resolve("missing.pem");

        assertThat(run(Map.of(), "--ca-file", missing.toString())).isEqualTo(ErrorReporter.USAGE);

        assertThat(err.toString()).contains("--ca-file " + missing + " does not exist");
    }

    @Test
    void aCaFileFromTetherCaFileIsNamedAsSuch() {
        Path missing = dir.resolve("missing.pem");

        assertThat(run(Map.of("TETHER_CA_FILE", missing.toString()))).isEqualTo(ErrorReporter.USAGE);

        assertThat(err.toString()).contains("TETHER_CA_FILE " + missing + " does not exist");
    }

    @Test
    void aFileWithNoCertificateIsAUsageError() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        Path text = Files.writeString(dir.resolve("text.pem"), "not a certificate\n");

        assertThat(run(Map.of(), "--ca-file", empty.toString())).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("--ca-file " + empty + " holds no certificate");
        assertThat(run(Map.of(), "--ca-file", text.toString())).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("--ca-file " + text);
        assertThat(run(Map.of(), "--ca-file", dir.toString())).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("--ca-file " + dir + " is not a PEM file of certificates");
    }

    @Test
    void anUnreadableCaFileIsAUsageErrorSayingSo() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads files of any mode");
        Path locked = Files.writeString(dir.resolve("locked.pem"), "x");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));

        assertThat(run(Map.of(), "--ca-file", locked.toString())).isEqualTo(ErrorReporter.USAGE);

        assertThat(err.toString()).contains("--ca-file " + locked + " cannot be read (permission denied)");
    }

    private int run(Map<String, String> extraEnv, String... flags) {
        err.getBuffer().setLength(0);
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        env.put("TETHER_TOKEN", "tpt_whatever");
        String[] args = new String[flags.length + 4];
        System.arraycopy(new String[] {"agents", "ls", "--url", URL}, 0, args, 0, 4);
        System.arraycopy(flags, 0, args, 4, flags.length);
        return Main.commandLine(env, args).setErr(new PrintWriter(err, true)).execute(args);
    }
}
