package dev.tether.bench.scenario;

import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.FleetSnapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * What happens after the storm's restart: a timeline of agents online and
 * agents with nothing pending (from the polls), and the server's resident
 * memory, sampled every {@value #SAMPLE_MILLIS} ms by a background thread,
 * plus its VmHWM (peak) at the end.
 *
 * <p>Thread safe: the sampler writes {@link #peakSampledBytes} under this
 * object's lock; the timeline is written by the polling thread only.
 */
final class Recovery {

    static final long SAMPLE_MILLIS = 100;

    private final ServerProcess server;
    /** The restart command, System.nanoTime: the timeline's zero. */
    private final long restartNanos = System.nanoTime();
    private final Thread sampler;
    private final List<Point> timeline = new ArrayList<>();
    private long peakSampledBytes;
    private long peakHwmBytes;

    /** @param seconds since the restart command */
    record Point(double seconds, int online, int drained) {
    }

    private Recovery(ServerProcess server) {
        this.server = server;
        this.sampler = Thread.ofPlatform().daemon().name("storm-rss-sampler").unstarted(this::sample);
    }

    /** Call right before the restart command. */
    static Recovery start(ServerProcess server) {
        Recovery recovery = new Recovery(server);
        recovery.sampler.start();
        return recovery;
    }

    private void sample() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (server.alive()) {
                    long rss = server.probe().rssBytes();
                    synchronized (this) {
                        peakSampledBytes = Math.max(peakSampledBytes, rss);
                    }
                }
                Thread.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException processGone) {
                // Between kill and restart there is no process to read; try again.
            }
        }
    }

    void record(FleetSnapshot snapshot) {
        timeline.add(new Point((System.nanoTime() - restartNanos) / 1e9, snapshot.online(),
                snapshot.drained()));
    }

    /** Stops sampling and reads the server's peak resident memory since its restart. */
    void finish() throws InterruptedException {
        sampler.interrupt();
        sampler.join();
        peakHwmBytes = server.probe().sample().peakRssBytes();
    }

    List<Point> timeline() {
        return List.copyOf(timeline);
    }

    synchronized long peakSampledBytes() {
        return peakSampledBytes;
    }

    long peakHwmBytes() {
        return peakHwmBytes;
    }

    /** Seconds from the restart command to a fleet-wide instant (System.nanoTime), or NaN for "never". */
    double secondsSinceRestart(long nanos) {
        return nanos <= restartNanos ? Double.NaN : (nanos - restartNanos) / 1e9;
    }
}
