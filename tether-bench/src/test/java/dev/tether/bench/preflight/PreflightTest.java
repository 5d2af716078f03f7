package dev.tether.bench.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreflightTest {

    private static final Preflight.Limits HERE = new Preflight.Limits(20_000, 20_000, 32_768, 60_999,
            24L << 30, 22L << 30, 2_466_170, 2);

    @TempDir
    Path proc;

    @Test
    void aClusterOfThreeNodesHoldsThreeTimesWhatOneServerCanAndNoMore() {
        Preflight preflight = Preflight.of(HERE);
        assertThat(preflight.check(57_000, 3).ok()).as("one server cannot hold 57,000").isFalse();
        Preflight.Report three = preflight.checkCluster(57_000, 3, 3);
        assertThat(three.ok()).as(three.render()).isTrue();
        assertThat(three.checks().get(0).need()).isEqualTo(19_000 + Preflight.SERVER_RESERVED_FILES);
        Preflight.Report tooMany = preflight.checkCluster(60_000, 3, 4);
        assertThat(tooMany.failures()).singleElement()
                .satisfies(c -> assertThat(c.advice()).contains("at most 58500 agents over 3 nodes"));
    }

    @Test
    void readsTheLimitsFromProc() throws Exception {
        Files.createDirectories(proc.resolve("self"));
        Files.createDirectories(proc.resolve("sys/net/ipv4"));
        Files.createDirectories(proc.resolve("sys/fs"));
        Files.writeString(proc.resolve("self/limits"), """
                Limit                     Soft Limit           Hard Limit           Units
                Max cpu time              unlimited            unlimited            seconds
                Max open files            20000                20000                files
                Max locked memory         8388608              8388608              bytes
                """);
        Files.writeString(proc.resolve("sys/net/ipv4/ip_local_port_range"), "32768\t60999\n");
        Files.writeString(proc.resolve("sys/fs/file-max"), "2466170\n");
        Files.writeString(proc.resolve("meminfo"), """
                MemTotal:       24684000 kB
                MemFree:        23962000 kB
                MemAvailable:   23865000 kB
                """);
        Preflight.Limits limits = Preflight.Limits.read(proc);
        assertThat(limits.openFilesSoft()).isEqualTo(20_000);
        assertThat(limits.openFilesHard()).isEqualTo(20_000);
        assertThat(limits.portRangeLow()).isEqualTo(32_768);
        assertThat(limits.portRangeHigh()).isEqualTo(60_999);
        assertThat(limits.memAvailableBytes()).isEqualTo(23_865_000L * 1024);
        assertThat(limits.fileMax()).isEqualTo(2_466_170);
    }

    @Test
    void unlimitedOpenFilesIsTheLargestLimit() {
        long[] files = Preflight.Limits.openFiles(
                "Max open files            1024                 unlimited            files\n");
        assertThat(files).containsExactly(1024, Long.MAX_VALUE);
    }

    @Test
    void oneServerHoldsJustUnderTwentyThousandAgentsHere() {
        Preflight preflight = Preflight.of(HERE);
        assertThat(preflight.maxAgentsPerServer()).isEqualTo(19_500);
        assertThat(preflight.check(19_500, 2).ok()).isTrue();
        assertThat(preflight.check(19_501, 2).failures()).singleElement()
                .satisfies(c -> assertThat(c.advice()).contains("ulimit -n").contains("19500"));
    }

    @Test
    void largeFleetsAreSplitOverGeneratorProcesses() {
        Preflight preflight = Preflight.of(HERE);
        assertThat(preflight.generatorsFor(1_000)).isEqualTo(1);
        assertThat(preflight.generatorsFor(10_000)).isEqualTo(1);
        assertThat(preflight.generatorsFor(19_500)).isEqualTo(2);
        assertThat(preflight.generatorsFor(50_000)).isEqualTo(3);
        assertThat(preflight.check(30_000, 1).failures())
                .filteredOn(c -> c.name().equals("open files per generator process")).singleElement()
                .satisfies(c -> assertThat(c.advice()).contains("--generators 2"));
    }

    @Test
    void sourceAddressesFollowThePortRange() {
        Preflight preflight = Preflight.of(HERE);
        assertThat(preflight.portsPerSourceAddress()).isEqualTo(19_762);
        assertThat(preflight.sourceAddressesFor(100)).isEqualTo(2);
        assertThat(preflight.sourceAddressesFor(19_500)).isEqualTo(2);
        assertThat(preflight.sourceAddressesFor(40_000)).isEqualTo(3);
    }

    @Test
    void shortMemoryIsReportedWithWhatToDo() {
        Preflight preflight = Preflight.of(new Preflight.Limits(20_000, 20_000, 32_768, 60_999, 2L << 30,
                1L << 30, 2_466_170, 2));
        assertThat(preflight.check(19_500, 2).failures()).extracting(Preflight.Check::name)
                .containsExactly("available memory (MiB)");
        assertThat(preflight.check(19_500, 2).render()).contains("FAIL").contains("free memory");
    }
}
