package dev.tether.bench.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeapProbeTest {

    @Test
    void readsTheG1HeapLine() {
        HeapProbe.Heap heap = HeapProbe.parse("""
                471:
                garbage-first heap   total reserved 6172672K, committed 393216K, used 58896K [0x0000000687400000, 0x0000000800000000)
                 region size 4096K, 15 young (61440K), 1 survivors (4096K)
                 Metaspace       used 30000K, committed 30500K, reserved 1114112K
                """);
        assertThat(heap.usedBytes()).isEqualTo(58_896L * 1024);
        assertThat(heap.committedBytes()).isEqualTo(393_216L * 1024);
    }

    @Test
    void addsUpTheGenerationsOfTheSerialAndParallelCollectors() {
        HeapProbe.Heap heap = HeapProbe.parse("""
                19402:
                 DefNew     total 116224K, used 672K [0x0000000687400000, 0x000000068f210000, 0x0000000704d50000)
                  eden space 103360K,   0% used [0x0000000687400000, 0x0000000687400000, 0x000000068d8f0000)
                  from space 12864K,   5% used [0x000000068d8f0000, 0x000000068e4a8000, 0x000000068e580000)
                 Tenured    total 258048K, used 17376K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
                  the  space 258048K,   6% used [0x0000000704d50000, 0x0000000705e482c8, 0x0000000714950000)
                 Metaspace       used 30000K, committed 30500K, reserved 1114112K
                """);
        assertThat(heap.usedBytes()).isEqualTo((672L + 17_376) * 1024);
        assertThat(heap.committedBytes()).isEqualTo((116_224L + 258_048) * 1024);
    }

    @Test
    void saysWhenThereIsNoHeapLine() {
        assertThatThrownBy(() -> HeapProbe.parse("471:\nnothing here\n")).hasMessageContaining("no heap usage");
    }

    @Test
    void classHistogramGrowthIsSortedByBytes() {
        Map<String, HeapProbe.ClassUsage> before = HeapProbe.parseHistogram("""
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:          1000          80000  [B (java.base@25)
                   2:            10            400  io.netty.channel.DefaultChannelHandlerContext
                Total          1010          80400
                """);
        Map<String, HeapProbe.ClassUsage> after = HeapProbe.parseHistogram("""
                   1:          3000         240000  [B (java.base@25)
                   2:          4010         256400  io.netty.channel.DefaultChannelHandlerContext
                   3:             5            120  java.lang.Thread (java.base@25)
                Total          7015         496520
                """);
        List<HeapProbe.Growth> growth = HeapProbe.growth(before, after, 2);
        assertThat(growth).containsExactly(
                new HeapProbe.Growth("io.netty.channel.DefaultChannelHandlerContext", 4000, 256_000),
                new HeapProbe.Growth("[B", 2000, 160_000));
    }

    @Test
    void findsJcmdBesideTheJavaBinary() {
        HeapProbe probe = HeapProbe.besideJava(Path.of(System.getProperty("java.home"), "bin", "java"));
        assertThat(probe.available()).isTrue();
    }
}
