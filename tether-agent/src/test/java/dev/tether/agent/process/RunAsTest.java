package dev.tether.agent.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunAsTest {

    private static final RunAs NOBODY = new RunAs("nobody", 65534, 65534, "/nonexistent", "/usr/sbin/nologin");

    @Test
    void aJobIsExecutedInPlaceThroughSetprivWithTheUsersIdsAndGroups() {
        assertThat(NOBODY.command(List.of("id", "-u")))
                .containsExactly("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--init-groups", "--", "id", "-u");
    }

    @Test
    void aShellGivesItsTerminalToTheUserBeforeSwitching() {
        List<String> command = NOBODY.terminalCommand(List.of("/bin/sh", "-l"));

        assertThat(command.subList(0, 2)).containsExactly("/bin/sh", "-c");
        assertThat(command.get(2)).contains("chown \"$1\" \"$(tty)\"").endsWith("exec \"$@\"");
        assertThat(command.subList(3, command.size())).containsExactly("sh", "65534", "/usr/bin/setpriv",
                "--reuid=65534", "--regid=65534", "--init-groups", "--", "/bin/sh", "-l");
    }

    @Test
    void childrenOfARunAsUserGetItsVariablesAndNeverTheKey() {
        Map<String, String> env = new HashMap<>(Map.of("HOME", "/root", "USER", "root", "TETHER_AGENT_KEY", "tak_k",
                "PATH", "/usr/bin"));

        ChildEnvironment.create("tak_k", NOBODY).apply(env);

        assertThat(env).containsEntry("HOME", "/nonexistent").containsEntry("USER", "nobody")
                .containsEntry("LOGNAME", "nobody").containsEntry("SHELL", "/usr/sbin/nologin")
                .containsEntry("PATH", "/usr/bin").doesNotContainKey("TETHER_AGENT_KEY");
    }

    @Test
    void anUnknownOrMissingUserIsRefusedWithWhatToDo() {
        assertThatThrownBy(() -> RunAs.resolve("tether-no-such-user-42"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no such user")
                .hasMessageContaining("useradd");
        assertThatThrownBy(() -> RunAs.resolve(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--run-as needs a user name");
    }

    @Test
    void rootIsNeitherATargetNorOptional() {
        if (RunAs.currentUid() == 0) {
            assertThatThrownBy(() -> RunAs.resolve("root")).hasMessageContaining("is root (uid 0)");
        } else {
            assertThatThrownBy(() -> RunAs.resolve("root")).hasMessageContaining("needs the agent to run as root");
        }
    }
}
