package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tether agent}'s flags as a user types them: parsed by picocli, errors as the CLI prints them. */
class AgentCommandTest {

    @TempDir
    Path dir;
    private Path keyFile;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void writeKey() throws Exception {
        keyFile = Files.writeString(dir.resolve("agent.key"), "tak_test-key-0123456789\n");
    }

    @Test
    void serverRepeatedOrCommaSeparatedGivesEveryUrlInTheOrderGiven() throws Exception {
        AgentCommand command = new AgentCommand();
        new CommandLine(command).parseArgs("--server", "https://a.example.com", "--server",
                "https://b.example.com:8443,https://c.example.com/tether", "--key-file", keyFile.toString(),
                "--state-dir", dir.resolve("state").toString());

        assertThat(command.config().servers()).containsExactly(URI.create("https://a.example.com"),
                URI.create("https://b.example.com:8443"), URI.create("https://c.example.com/tether"));
    }

    @Test
    void oneServerIsAListOfOne() throws Exception {
        AgentCommand command = new AgentCommand();
        new CommandLine(command).parseArgs("--server", "https://a.example.com", "--key-file", keyFile.toString(),
                "--state-dir", dir.resolve("state").toString());

        assertThat(command.config().servers()).containsExactly(URI.create("https://a.example.com"));
    }

    @Test
    void aBadUrlAmongSeveralStopsTheAgentWithAnErrorNamingIt() {
        int exit = run("agent", "--server", "https://a.example.com", "--server", "ftp://b.example.com",
                "--key-file", keyFile.toString(), "--state-dir", dir.resolve("state").toString());

        assertThat(exit).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).isEqualTo("tether: server URL 'ftp://b.example.com' must start with https:// "
                + "(or wss://, or http:// and ws:// with --insecure)" + System.lineSeparator());
    }

    @Test
    void theSameServerTwiceStopsTheAgentWithAnErrorSayingSo() {
        int exit = run("agent", "--server", "https://a.example.com,https://a.example.com/",
                "--key-file", keyFile.toString(), "--state-dir", dir.resolve("state").toString());

        assertThat(exit).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("server URL 'https://a.example.com/' names the same server as "
                + "'https://a.example.com': give each server once");
    }

    @Test
    void aBadUrlIsRefusedBeforeEnrolling() throws Exception {
        Path token = Files.writeString(dir.resolve("enroll.token"), "tet_token\n");

        int exit = run("agent", "--server", "https://a.example.com", "--server", "http://b.example.com",
                "--enroll-token-file", token.toString(), "--state-dir", dir.resolve("state").toString());

        assertThat(exit).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("plain http:// sends the agent key unencrypted");
    }

    @Test
    void aKeyOrAnEnrollmentTokenOnTheCommandLineIsRefusedWithoutBeingRepeated() {
        String key = "tak_secret-on-the-command-line-0123456789";
        int withKey = run("agent", "--server", "https://a.example.com", "--key", key,
                "--state-dir", dir.resolve("state").toString());
        String keyError = err.toString();
        err.getBuffer().setLength(0);
        int withToken = run("agent", "--server", "https://a.example.com", "--enroll-token=" + key,
                "--state-dir", dir.resolve("state").toString());

        assertThat(withKey).isEqualTo(ErrorReporter.USAGE);
        assertThat(keyError).contains("--key is refused", "ps", "--key-file", AgentCommand.KEY_ENV)
                .doesNotContain(key);
        assertThat(withToken).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("--enroll-token is refused", "--enroll-token-file").doesNotContain(key);
        assertThat(dir.resolve("state")).as("nothing written before refusing").doesNotExist();
    }

    @Test
    void aStateDirThatIsAFileStopsTheAgentWithOneLineSayingSo() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "");

        int exit = run("agent", "--server", "https://a.example.com", "--key-file", keyFile.toString(),
                "--state-dir", file.toString());

        assertThat(exit).isEqualTo(ErrorReporter.FAILURE);
        assertThat(err.toString()).isEqualTo("tether: cannot open the agent state in " + file
                + ": state dir " + file + " exists and is not a directory" + System.lineSeparator());
    }

    private int run(String... args) {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new ErrorReporter())
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }
}
