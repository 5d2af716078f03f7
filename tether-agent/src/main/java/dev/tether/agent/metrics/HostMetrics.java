package dev.tether.agent.metrics;

import com.sun.management.OperatingSystemMXBean;
import dev.tether.protocol.v1.Heartbeat;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Samples what a heartbeat reports: whole-host CPU use since the previous sample
 * (the JDK's {@code getCpuLoad}, which is host-wide or container-wide), memory
 * in use (total less {@code MemAvailable} from {@code /proc/meminfo} where there
 * is one, so page cache does not count as used), the state dir's file system, and
 * the agent process's uptime. A value that cannot be read is reported as 0.
 * Thread safe.
 */
public final class HostMetrics {

    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final Path stateDir;
    private final OperatingSystemMXBean os;
    private final long startedNanos = System.nanoTime();

    public HostMetrics(Path stateDir) {
        this.stateDir = stateDir;
        this.os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        // The first reading of getCpuLoad has no previous one to compare with.
        os.getCpuLoad();
    }

    /** A heartbeat with every field but nothing of the envelope. */
    public Heartbeat sample(long outboxDepth) {
        Heartbeat.Builder beat = Heartbeat.newBuilder()
                .setCpuPercent(cpuPercent())
                .setOutboxDepth(outboxDepth)
                .setUptimeS((System.nanoTime() - startedNanos) / 1_000_000_000L);
        long memTotal = os.getTotalMemorySize();
        beat.setMemTotalBytes(memTotal).setMemUsedBytes(Math.max(0, memTotal - availableMemory()));
        try {
            FileStore disk = Files.getFileStore(stateDir);
            long diskTotal = disk.getTotalSpace();
            beat.setDiskTotalBytes(diskTotal).setDiskUsedBytes(Math.max(0, diskTotal - disk.getUnallocatedSpace()));
        } catch (IOException e) {
            // Reported as 0: the state dir vanished or cannot be stat'ed; the store will say more.
        }
        return beat.build();
    }

    private double cpuPercent() {
        double load = os.getCpuLoad();
        return load < 0 || Double.isNaN(load) ? 0 : Math.min(100, load * 100);
    }

    private long availableMemory() {
        try {
            List<String> lines = Files.readAllLines(MEMINFO);
            for (String line : lines) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or an odd kernel: fall back to the JDK's free memory.
        }
        return os.getFreeMemorySize();
    }
}
