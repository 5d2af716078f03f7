package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code systemd/tether-server.service} from the tarball: what it promises (its own user, the state directory,
 * the env file, the hardening, time for the drain, descriptors for a fleet), and that systemd accepts it.
 */
class SystemdUnitTest {

    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    static Path dir;
    private static Path home;
    private static String unit;

    @BeforeAll
    static void unpack() throws Exception {
        home = ServerPackage.unpack(dir);
        unit = Files.readString(home.resolve("systemd/tether-server.service"));
    }

    @Test
    void theUnitRunsTheServerAsItsOwnUserOnItsStateDirectoryWithTheHardening() {
        assertThat(unit).contains("ExecStart=/opt/tether/bin/tether server\n", "User=tether-server\n",
                "StateDirectory=tether\n", "StateDirectoryMode=0700\n", "Environment=TETHER_DATA_DIR=/var/lib/tether\n",
                "EnvironmentFile=-/etc/tether/server.env\n", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n",
                "ProtectHome=yes\n", "PrivateTmp=yes\n", "Restart=on-failure\n", "SuccessExitStatus=143\n",
                "StartLimitIntervalSec=0\n");
        assertThat(seconds("TimeoutStopSec")).as("time for the drain").isGreaterThanOrEqualTo(30);
        assertThat(Long.parseLong(setting("LimitNOFILE"))).as("descriptors for a fleet").isGreaterThanOrEqualTo(65536);
    }

    @Test
    void systemdAcceptsTheUnitAndRatesItsExposureOk() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(ANALYZE), "no systemd-analyze here");
        // As installed, but with ExecStart at the unpacked package: verify checks that the program is there.
        Path installed = Files.writeString(dir.resolve("tether-server.service"),
                unit.replace("/opt/tether/", home + "/"));
        Commands.Result verify = Commands.run(List.of(ANALYZE.toString(), "verify", installed.toString()), Map.of(),
                null, Duration.ofSeconds(60));
        // systemd before 254 does not know the restart backoff keys and says so; anything else is a mistake.
        assertThat((verify.out() + verify.err()).lines()
                .filter(line -> !line.contains("RestartSteps") && !line.contains("RestartMaxDelaySec"))
                .toList()).isEmpty();

        Commands.Result security = Commands.run(List.of(ANALYZE.toString(), "security", "--offline=true",
                installed.toString()), Map.of(), null, Duration.ofSeconds(60));
        Matcher level = Pattern.compile("Overall exposure level for tether-server.service: (\\d+\\.\\d)")
                .matcher(security.out() + security.err());
        assertThat(level.find()).as(security.out() + security.err()).isTrue();
        assertThat(Double.parseDouble(level.group(1))).as("systemd's exposure score (below 5 is OK)").isLessThan(5.0);
    }

    private String setting(String key) {
        Matcher matcher = Pattern.compile("(?m)^" + key + "=(\\S+)$").matcher(unit);
        assertThat(matcher.find()).as("%s in the unit", key).isTrue();
        return matcher.group(1);
    }

    private long seconds(String key) {
        String value = setting(key);
        assertThat(value).matches("\\d+s");
        return Long.parseLong(value.substring(0, value.length() - 1));
    }
}
