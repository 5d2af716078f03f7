package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultsListenOn8080WithSqliteAndThirtySecondHeartbeats() {
        ServerConfig defaults = ServerConfig.defaults();

        assertThat(defaults.host()).isEqualTo("0.0.0.0");
        assertThat(defaults.port()).isEqualTo(8080);
        assertThat(defaults.dataDir()).isEqualTo(Path.of("tether-data"));
        assertThat(defaults.jdbcUrl()).isNull();
        assertThat(defaults.heartbeatInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.console()).isSameAs(System.out);
    }

    @Test
    void plainHttpIsRefusedUnlessAskedFor() {
        assertThatThrownBy(() -> ServerConfig.defaults().validate())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("refusing to serve plain HTTP: pass --tls-cert/--tls-key, or --insecure-http");
        assertThatCode(() -> ServerConfig.defaults().withInsecureHttp(true).validate()).doesNotThrowAnyException();
        assertThatCode(() -> ServerConfig.defaults().withDev(true).validate()).doesNotThrowAnyException();
    }

    @Test
    void tlsNeedsBothFilesAndTheyMustExist() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");

        assertThatThrownBy(() -> ServerConfig.defaults().withTls(cert, null).validate())
                .hasMessageContaining("--tls-cert and --tls-key together");
        assertThatThrownBy(() -> ServerConfig.defaults().withTls(cert, dir.resolve("missing.pem")).validate())
                .hasMessageContaining("missing.pem does not exist");
    }

    @Test
    void otherSettingsAreCheckedWithActionableMessages() {
        ServerConfig ok = ServerConfig.defaults().withInsecureHttp(true);

        assertThatThrownBy(() -> ok.withPort(70000).validate()).hasMessageContaining("port must be 0-65535");
        assertThatThrownBy(() -> ok.withHeartbeatInterval(Duration.ofMillis(10)).validate())
                .hasMessageContaining("heartbeat interval must be between");
        assertThatThrownBy(() -> ok.withJdbcUrl("jdbc:mysql://db/x?password=hunter2").validate())
                .hasMessageContaining("use jdbc:postgresql://").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ok.withAdminToken("short").validate())
                .hasMessageContaining("TETHER_ADMIN_TOKEN must be at least 16 characters");
    }

    @Test
    void toStringMasksSecrets() {
        ServerConfig config = ServerConfig.defaults().withAdminToken("very-secret-admin-token")
                .withJdbcUrl("jdbc:postgresql://db/tether?user=t&password=hunter2");

        assertThat(config.toString()).doesNotContain("very-secret-admin-token").doesNotContain("hunter2");
    }
}
