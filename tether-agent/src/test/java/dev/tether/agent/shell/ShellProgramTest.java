package dev.tether.agent.shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.ShellSettings;
import dev.tether.agent.process.ChildEnvironment;
import dev.tether.protocol.Limits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShellProgramTest {

    private static ShellProgram program(String shell) {
        return ShellProgram.create(new ShellSettings(true, shell, 8, Duration.ofMinutes(5),
                Limits.DEFAULT_SHELL_SCROLLBACK_BYTES), ChildEnvironment.create("tak_secret"));
    }

    @Test
    void aKnownShellRunsAsALoginShellAndACommandRunsAsGiven() {
        assertThat(program("/bin/sh").argv(List.of())).containsExactly("/bin/sh", "-l");
        assertThat(program("/bin/sh").argv(List.of("top", "-d", "1"))).containsExactly("top", "-d", "1");
        assertThat(program("/usr/bin/env").argv(List.of())).containsExactly("/usr/bin/env");
    }

    @Test
    void withoutAConfiguredShellTheLoginShellIsUsed() {
        String login = ShellProgram.loginShell();

        assertThat(login).startsWith("/");
        assertThat(program(null).argv(List.of()).get(0)).isEqualTo(login);
    }

    @Test
    void theEnvironmentHasTheTermAndNotTheKey() {
        Map<String, String> env = program("/bin/sh").environment("");

        assertThat(env).containsEntry("TERM", "xterm-256color").containsKeys("HOME", "USER", "SHELL")
                .doesNotContainKey("TETHER_AGENT_KEY").doesNotContainValue("tak_secret");
        assertThat(program("/bin/sh").environment("vt100")).containsEntry("TERM", "vt100");
    }

    @Test
    void aProgramThatCannotRunIsNamedBeforeStarting() {
        assertThat(program("/bin/sh").problem(List.of("/bin/sh"))).isNull();
        assertThat(program("/bin/sh").problem(List.of("no-such-program-xyz")))
                .startsWith("cannot run no-such-program-xyz: no such file or directory in PATH");
    }
}
