package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.Limits;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ShellSettingsTest {

    private static AgentConfig.Builder agent() {
        return AgentConfig.builder().server("https://tether.example.com").key("tak_key").stateDir(Path.of("/tmp/x"));
    }

    @Test
    void shellsAreOffByDefaultWithTheProtocolsDefaults() {
        ShellSettings shell = agent().build().shell();

        assertThat(shell.enabled()).isFalse();
        assertThat(shell.program()).isNull();
        assertThat(shell.maxSessions()).isEqualTo(Limits.DEFAULT_MAX_SHELL_SESSIONS);
        assertThat(shell.idleTimeout()).isEqualTo(Limits.DEFAULT_SHELL_IDLE_TIMEOUT);
        assertThat(shell.scrollbackBytes()).isEqualTo(Limits.DEFAULT_SHELL_SCROLLBACK_BYTES);
        assertThat(agent().build().toString()).contains("shell=ShellSettings[enabled=false");
    }

    @Test
    void theBuilderCarriesEverySetting() {
        ShellSettings shell = agent().enableShell(true).shellProgram("/bin/sh").maxShells(3)
                .shellIdleTimeout(Duration.ofSeconds(90)).shellScrollbackBytes(1 << 20).build().shell();

        assertThat(shell).isEqualTo(new ShellSettings(true, "/bin/sh", 3, Duration.ofSeconds(90), 1 << 20));
    }

    @Test
    void aShellThatCannotRunIsRefusedWhenShellsAreEnabled() {
        assertThatThrownBy(() -> agent().enableShell(true).shellProgram("/no/such/shell").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--shell /no/such/shell: cannot run /no/such/shell: no such file or directory");
        assertThatThrownBy(() -> agent().enableShell(true).shellProgram(" ").build())
                .hasMessageContaining("the shell program is empty");
        assertThat(agent().shellProgram("/no/such/shell").build().shell().enabled()).isFalse();
    }

    @Test
    void limitsOutsideTheirRangeNameTheFlag() {
        assertThatThrownBy(() -> agent().maxShells(0).build())
                .hasMessage("the shell session cap must be 1 to 256, not 0 (--max-shells N)");
        assertThatThrownBy(() -> agent().shellIdleTimeout(Duration.ZERO).build())
                .hasMessageContaining("--shell-idle-timeout");
        assertThatThrownBy(() -> agent().shellIdleTimeout(Duration.ofDays(8)).build())
                .hasMessageContaining("at most 7 days");
        assertThatThrownBy(() -> agent().shellScrollbackBytes(1024).build())
                .hasMessage("the shell scrollback must be 32 KiB to 64 MiB, not 1024 bytes (--shell-scrollback 64k)");
    }
}
