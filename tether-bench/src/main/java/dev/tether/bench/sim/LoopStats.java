package dev.tether.bench.sim;

import dev.tether.bench.report.Histogram;
import java.util.HashMap;
import java.util.Map;

/**
 * Counters and latency histograms of the agents on one event loop. Not thread
 * safe: owned by that loop; {@link Fleet#snapshot()} reads it there too.
 */
final class LoopStats {

    long dials;
    long welcomes;
    long disconnects;
    long heartbeatsSent;
    long heartbeatAcks;
    long published;
    long reliableFromServer;
    long duplicatesFromServer;
    /** Seqs the server had acknowledged and later said it never applied: acknowledged, then lost. */
    long ackRegressions;
    long protocolErrors;
    /** Latest Welcome and latest "outbox drained" on this loop, System.nanoTime (0: none). */
    long lastWelcomeNanos;
    long lastDrainNanos;
    final Map<String, Long> failures = new HashMap<>();
    final Map<Integer, Long> closeCodes = new HashMap<>();
    /** Dial to Welcome, microseconds. */
    final Histogram connect = new Histogram();
    /** Heartbeat to HeartbeatAck, microseconds. */
    final Histogram heartbeatRtt = new Histogram();
    /** Publish to the server's covering ack, microseconds. */
    final Histogram ackLatency = new Histogram();
    /** When the commands being timed were sent (epoch microseconds, see {@link EpochMicros}); 0: not timing. */
    long commandMarkMicros;
    long commandsReceived;
    long jobsFinished;
    /** Command sent (the mark) to the CommandRequest received and acknowledged, microseconds. */
    final Histogram commandDelivery = new Histogram();
    /** Command sent to the server's ack of the job's JobFinished (the job's end on record), microseconds. */
    final Histogram jobEnd = new Histogram();

    void failed(String cause) {
        failures.merge(cause, 1L, Long::sum);
    }

    void closed(int code) {
        closeCodes.merge(code, 1L, Long::sum);
    }
}
