package dev.tether.bench.probe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code /proc} says about another process: resident memory (current and
 * peak), CPU time, threads, open files. Linux only. Stateless and thread safe.
 */
public final class ProcessProbe {

    /** Clock ticks per second of {@code /proc/PID/stat} times; 100 on every Linux this runs on. */
    static final long CLOCK_TICKS_PER_SECOND = 100;

    private final long pid;
    private final Path proc;

    private ProcessProbe(long pid, Path procRoot) {
        this.pid = pid;
        this.proc = procRoot.resolve(Long.toString(pid));
    }

    public static ProcessProbe of(long pid) {
        return new ProcessProbe(pid, Path.of("/proc"));
    }

    /** For tests: a probe over a fake {@code /proc} tree. */
    static ProcessProbe of(long pid, Path procRoot) {
        return new ProcessProbe(pid, procRoot);
    }

    public long pid() {
        return pid;
    }

    /** A point-in-time reading. */
    public Sample sample() {
        String status = read("status");
        return new Sample(System.nanoTime(), kib(status, "VmRSS:") * 1024, kib(status, "VmHWM:") * 1024,
                cpuNanos(read("stat")), kib(status, "Threads:"), openFiles());
    }

    /** Resident memory now, bytes. */
    public long rssBytes() {
        return kib(read("status"), "VmRSS:") * 1024;
    }

    private long openFiles() {
        try (var list = Files.list(proc.resolve("fd"))) {
            return list.count();
        } catch (IOException | SecurityException e) {
            return -1;
        }
    }

    private String read(String file) {
        try {
            return ProcFile.read(proc.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + "/" + file + ": has the process exited?", e);
        }
    }

    /** The number after {@code key} in a /proc status file (kB for memory, a count otherwise); 0 when absent. */
    static long kib(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                String[] words = line.substring(key.length()).trim().split("\\s+");
                return Long.parseLong(words[0]);
            }
        }
        return 0;
    }

    /**
     * utime + stime of a {@code /proc/PID/stat} line, in nanoseconds. The command
     * name (field 2) may hold spaces and parentheses, so fields are counted from
     * its closing parenthesis.
     */
    static long cpuNanos(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // After the name: field 3 (state) is fields[0]; utime is field 14, stime field 15.
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
    }

    /**
     * @param rssBytes resident set now
     * @param peakRssBytes the highest resident set since the process started (VmHWM)
     * @param cpuNanos user + system CPU time consumed so far
     */
    public record Sample(long atNanos, long rssBytes, long peakRssBytes, long cpuNanos, long threads,
            long openFiles) {

        /** CPU use between two samples, in percent of one core. */
        public double cpuPercentSince(Sample earlier) {
            long wall = atNanos - earlier.atNanos;
            return wall <= 0 ? 0 : 100.0 * (cpuNanos - earlier.cpuNanos) / wall;
        }
    }
}
