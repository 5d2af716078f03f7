package dev.tether.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OpenSshServerTest {

    @Test
    void theConfigListensOnLoopbackWithKeysOnlyAndRoomForEveryLogin() {
        String config = OpenSshServer.config(2222, Path.of("/tmp/k"), 1000);
        assertThat(config.lines()).contains("ListenAddress 127.0.0.1", "Port 2222", "HostKey /tmp/k/host_ed25519",
                "AuthorizedKeysFile /tmp/k/authorized_keys", "PidFile /tmp/k/sshd.pid", "PasswordAuthentication no",
                "UsePAM no", "StrictModes no", "PermitRootLogin prohibit-password", "MaxStartups 2000",
                "MaxSessions 2000");
    }
}
