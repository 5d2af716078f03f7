package dev.tether.bench.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FootprintTest {

    @TempDir
    Path proc;

    @Test
    void readsRssAndPssFromSmapsRollup() throws Exception {
        Files.createDirectories(proc.resolve("77"));
        Files.writeString(proc.resolve("77/smaps_rollup"), """
                5581b4e3c000-7ffd2b9f8000 ---p 00000000 00:00 0                          [rollup]
                Rss:                1664 kB
                Pss:                 273 kB
                Pss_Anon:            120 kB
                Shared_Clean:       1500 kB
                """);
        assertThat(Footprint.of(77, proc)).isEqualTo(new Footprint(1664 * 1024, 273 * 1024, 1));
    }

    @Test
    void aProcessThatHasGoneCountsAsNothing() {
        assertThat(Footprint.of(78, proc)).isEqualTo(Footprint.NONE);
    }

    @Test
    void thisProcessHasAFootprintAndSumsAddUp() {
        Footprint self = Footprint.of(ProcessHandle.current().pid());
        assertThat(self.pssBytes()).isPositive().isLessThanOrEqualTo(self.rssBytes());
        Footprint twice = Footprint.of(List.of(ProcessHandle.current(), ProcessHandle.current()));
        assertThat(twice.processes()).isEqualTo(2);
        assertThat(twice.minus(self).processes()).isEqualTo(1);
    }
}
