package dev.tether.bench.probe;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The memory a set of processes holds: resident set (RSS) and proportional
 * set (PSS) from {@code /proc/PID/smaps_rollup}, summed. PSS charges each
 * shared page to the processes mapping it in equal parts, so a thousand
 * shells or a dozen JVMs sharing libraries are not counted a thousand or a
 * dozen times, as summed RSS would. A process that exits while it is read is
 * left out. Immutable.
 *
 * @param processes how many processes were read
 */
public record Footprint(long rssBytes, long pssBytes, int processes) {

    public static final Footprint NONE = new Footprint(0, 0, 0);

    /** One process; {@link #NONE} if it has gone. */
    public static Footprint of(long pid) {
        return of(pid, Path.of("/proc"));
    }

    static Footprint of(long pid, Path procRoot) {
        try {
            return parse(ProcFile.read(procRoot.resolve(Long.toString(pid)).resolve("smaps_rollup")));
        } catch (IOException exited) {
            return NONE;
        }
    }

    /** The sum over processes. */
    public static Footprint of(Collection<ProcessHandle> processes) {
        Footprint sum = NONE;
        for (ProcessHandle p : processes) {
            sum = sum.plus(of(p.pid()));
        }
        return sum;
    }

    /** The {@code Rss:} and {@code Pss:} lines (kB) of an smaps_rollup text. */
    static Footprint parse(String smapsRollup) {
        long rss = -1;
        long pss = -1;
        for (String line : smapsRollup.split("\n")) {
            if (line.startsWith("Rss:")) {
                rss = ProcessProbe.kib(line, "Rss:") * 1024;
            } else if (line.startsWith("Pss:")) {
                pss = ProcessProbe.kib(line, "Pss:") * 1024;
            }
        }
        if (rss < 0 || pss < 0) {
            throw new IllegalArgumentException("no Rss and Pss lines in smaps_rollup: " + smapsRollup);
        }
        return new Footprint(rss, pss, 1);
    }

    public Footprint plus(Footprint other) {
        return new Footprint(rssBytes + other.rssBytes, pssBytes + other.pssBytes, processes + other.processes);
    }

    public Footprint minus(Footprint baseline) {
        return new Footprint(rssBytes - baseline.rssBytes, pssBytes - baseline.pssBytes,
                processes - baseline.processes);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("rss_bytes", rssBytes);
        json.put("pss_bytes", pssBytes);
        json.put("processes", processes);
        return json;
    }
}
