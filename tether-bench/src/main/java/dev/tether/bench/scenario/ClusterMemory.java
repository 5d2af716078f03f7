package dev.tether.bench.scenario;

import dev.tether.bench.probe.Footprint;
import dev.tether.bench.probe.HeapProbe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Memory per agent on each node of the cluster: RSS and PSS from {@code smaps_rollup} and the live heap after a
 * full GC ({@code jcmd}), read once with no agents (the baseline) and once holding them; the per-agent figure is
 * the growth over the baseline divided by the agents the node holds. Immutable once read.
 */
final class ClusterMemory {

    /** The single-node figure this is set beside, from docs/benchmarks.md's connections run at 19,500 agents. */
    static final double SINGLE_NODE_RSS_KIB = 27.2;
    static final double SINGLE_NODE_HEAP_KIB = 16.4;
    static final String SINGLE_NODE_SOURCE = "docs/benchmarks.md, connections at 19,500 agents on one node "
            + "(SQLite), 2026-12-01";

    /** One reading of one node; {@code heapBytes} is -1 when jcmd is missing. */
    record Reading(Footprint footprint, long heapBytes) {
    }

    /**
     * @param agents agents the node held at the second reading
     */
    record Node(String name, long agents, Reading baseline, Reading loaded) {

        double rssKibPerAgent() {
            return perAgentKib(loaded.footprint().rssBytes() - baseline.footprint().rssBytes());
        }

        double pssKibPerAgent() {
            return perAgentKib(loaded.footprint().pssBytes() - baseline.footprint().pssBytes());
        }

        double heapKibPerAgent() {
            return baseline.heapBytes() < 0 ? Double.NaN : perAgentKib(loaded.heapBytes() - baseline.heapBytes());
        }

        private double perAgentKib(long growthBytes) {
            return agents == 0 ? Double.NaN : growthBytes / 1024.0 / agents;
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("node", name);
            json.put("agents", agents);
            json.put("baseline", reading(baseline));
            json.put("loaded", reading(loaded));
            json.put("rss_kib_per_agent", rssKibPerAgent());
            json.put("pss_kib_per_agent", pssKibPerAgent());
            json.put("heap_kib_per_agent", heapKibPerAgent());
            return json;
        }

        private static Map<String, Object> reading(Reading r) {
            Map<String, Object> json = new LinkedHashMap<>(r.footprint().toJson());
            json.put("live_heap_bytes", r.heapBytes());
            return json;
        }
    }

    private ClusterMemory() {
    }

    /** Reads every node of the cluster once. */
    static List<Reading> read(BenchRun bench, BenchCluster cluster) throws IOException, InterruptedException {
        HeapProbe heap = bench.heapProbe();
        List<Reading> readings = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            long pid = cluster.node(i).pid();
            long live = heap.available() ? heap.liveHeap(pid).usedBytes() : -1;
            readings.add(new Reading(Footprint.of(pid), live));
        }
        return readings;
    }

    /** Pairs the baseline and loaded readings with the agents each node held. */
    static List<Node> perNode(BenchCluster cluster, List<Reading> baseline, List<Reading> loaded,
            Map<String, Long> held) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            String name = cluster.name(i);
            nodes.add(new Node(name, held.getOrDefault(name, 0L), baseline.get(i), loaded.get(i)));
        }
        return nodes;
    }
}
