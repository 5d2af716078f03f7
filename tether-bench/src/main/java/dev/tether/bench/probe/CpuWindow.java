package dev.tether.bench.probe;

import java.util.ArrayList;
import java.util.List;

/**
 * CPU used by a set of processes between {@link #open} and {@link #percent},
 * in percent of one core (200 % is two cores busy). Immutable.
 */
public final class CpuWindow {

    private final List<ProcessProbe> probes;
    private final List<ProcessProbe.Sample> start;

    private CpuWindow(List<ProcessProbe> probes) {
        this.probes = List.copyOf(probes);
        this.start = probes.stream().map(ProcessProbe::sample).toList();
    }

    public static CpuWindow open(List<ProcessProbe> probes) {
        return new CpuWindow(probes);
    }

    public static CpuWindow open(ProcessProbe probe) {
        return new CpuWindow(List.of(probe));
    }

    /** CPU percent of one core since the window opened, summed over the processes. */
    public double percent() {
        List<ProcessProbe.Sample> now = new ArrayList<>();
        for (ProcessProbe probe : probes) {
            now.add(probe.sample());
        }
        double total = 0;
        for (int i = 0; i < probes.size(); i++) {
            total += now.get(i).cpuPercentSince(start.get(i));
        }
        return total;
    }
}
