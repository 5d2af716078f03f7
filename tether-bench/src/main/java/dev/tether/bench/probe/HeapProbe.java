package dev.tether.bench.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live heap of a JVM we started, measured with {@code jcmd}: {@code GC.run}
 * (a full collection, so only reachable objects remain) then
 * {@code GC.heap_info}, whose first {@code used NNNK} is the heap in use.
 * The heap figure per agent is therefore live objects, not garbage the
 * collector has not reached yet. Stateless and thread safe.
 */
public final class HeapProbe {

    private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final Pattern COMMITTED = Pattern.compile("committed (\\d+)K");
    private static final Pattern GENERATION = Pattern.compile("total (\\d+)K, used (\\d+)K");
    private static final Pattern HISTOGRAM_LINE = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

    private final Path jcmd;

    private HeapProbe(Path jcmd) {
        this.jcmd = jcmd;
    }

    /** Uses the {@code jcmd} beside the given {@code java} binary. */
    public static HeapProbe besideJava(Path javaBinary) {
        return new HeapProbe(javaBinary.toAbsolutePath().resolveSibling("jcmd"));
    }

    public boolean available() {
        return Files.isExecutable(jcmd);
    }

    /** Runs a full GC in the target, then reads its heap: live bytes and committed bytes. */
    public Heap liveHeap(long pid) throws IOException, InterruptedException {
        run(pid, "GC.run");
        return parse(run(pid, "GC.heap_info"));
    }

    /**
     * Live objects by class ({@code GC.class_histogram}, which collects first):
     * class name to instances and bytes.
     */
    public Map<String, ClassUsage> classHistogram(long pid) throws IOException, InterruptedException {
        return parseHistogram(run(pid, "GC.class_histogram"));
    }

    static Map<String, ClassUsage> parseHistogram(String text) {
        Map<String, ClassUsage> classes = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = HISTOGRAM_LINE.matcher(line);
            if (m.find()) {
                classes.merge(m.group(3), new ClassUsage(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))),
                        (a, b) -> new ClassUsage(a.instances() + b.instances(), a.bytes() + b.bytes()));
            }
        }
        return classes;
    }

    /**
     * The classes whose live bytes grew most from {@code before} to {@code after}, largest first.
     *
     * @param limit how many to return
     */
    public static List<Growth> growth(Map<String, ClassUsage> before, Map<String, ClassUsage> after, int limit) {
        List<Growth> all = new ArrayList<>();
        after.forEach((name, usage) -> {
            ClassUsage old = before.getOrDefault(name, new ClassUsage(0, 0));
            all.add(new Growth(name, usage.instances() - old.instances(), usage.bytes() - old.bytes()));
        });
        all.sort(Comparator.comparingLong(Growth::bytes).reversed());
        return List.copyOf(all.subList(0, Math.min(limit, all.size())));
    }

    /**
     * The heap's used and committed sizes: G1's first heap line ("garbage-first heap ... committed X, used Y"),
     * or the sum of the generations' ("DefNew total X, used Y", "Tenured ...", "PSYoungGen ...").
     */
    static Heap parse(String heapInfo) {
        long generationsUsed = 0;
        long generationsTotal = 0;
        boolean generations = false;
        for (String line : heapInfo.split("\n")) {
            Matcher generation = GENERATION.matcher(line);
            if (generation.find()) {
                generations = true;
                generationsTotal += Long.parseLong(generation.group(1));
                generationsUsed += Long.parseLong(generation.group(2));
                continue;
            }
            if (line.contains("heap") && !line.contains("Metaspace")) {
                Matcher used = USED.matcher(line);
                Matcher committed = COMMITTED.matcher(line);
                if (used.find()) {
                    long committedKib = committed.find() ? Long.parseLong(committed.group(1)) : -1;
                    return new Heap(Long.parseLong(used.group(1)) * 1024, committedKib * 1024);
                }
            }
        }
        if (generations) {
            return new Heap(generationsUsed * 1024, generationsTotal * 1024);
        }
        throw new IllegalArgumentException("no heap usage in jcmd GC.heap_info output: " + heapInfo);
    }

    private String run(long pid, String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                .redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(JCMD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IOException("jcmd " + command + " did not finish within " + JCMD_TIMEOUT);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed (" + process.exitValue() + "): " + text);
        }
        return text;
    }

    public record ClassUsage(long instances, long bytes) {
    }

    public record Growth(String className, long instances, long bytes) {
    }

    /** @param committedBytes -1 when the collector does not say */
    public record Heap(long usedBytes, long committedBytes) {
    }
}
