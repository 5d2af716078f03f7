package dev.tether.bench.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessProbeTest {

    @TempDir
    Path proc;

    @Test
    void readsMemoryThreadsAndCpuOfAProcess() throws Exception {
        Path pid = Files.createDirectories(proc.resolve("4242"));
        Files.createDirectories(pid.resolve("fd"));
        Files.createFile(pid.resolve("fd/0"));
        Files.createFile(pid.resolve("fd/1"));
        Files.writeString(pid.resolve("status"), """
                Name:\tjava
                VmHWM:\t  250000 kB
                VmRSS:\t  200000 kB
                Threads:\t31
                """);
        Files.writeString(pid.resolve("stat"),
                "4242 (java) S 1 4242 4242 0 -1 4194560 5000 0 0 0 150 50 0 0 20 0 31 0 1000 0 0\n");
        ProcessProbe.Sample sample = ProcessProbe.of(4242, proc).sample();
        assertThat(sample.rssBytes()).isEqualTo(200_000L * 1024);
        assertThat(sample.peakRssBytes()).isEqualTo(250_000L * 1024);
        assertThat(sample.threads()).isEqualTo(31);
        assertThat(sample.openFiles()).isEqualTo(2);
        assertThat(sample.cpuNanos()).isEqualTo(2_000_000_000L);
    }

    @Test
    void commandNamesWithSpacesAndParenthesesDoNotShiftTheFields() {
        String stat = "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 300 100 0 0 20 0 1 0 1 0 0";
        assertThat(ProcessProbe.cpuNanos(stat)).isEqualTo(4_000_000_000L);
    }

    @Test
    void cpuPercentIsOfOneCore() {
        ProcessProbe.Sample before = new ProcessProbe.Sample(0, 0, 0, 0, 1, 1);
        ProcessProbe.Sample after = new ProcessProbe.Sample(2_000_000_000L, 0, 0, 3_000_000_000L, 1, 1);
        assertThat(after.cpuPercentSince(before)).isEqualTo(150.0);
    }

    @Test
    void thisProcessCanBeProbed() {
        ProcessProbe.Sample sample = ProcessProbe.of(ProcessHandle.current().pid()).sample();
        assertThat(sample.rssBytes()).isPositive();
        assertThat(sample.cpuNanos()).isPositive();
        assertThat(sample.openFiles()).isPositive();
    }
}
