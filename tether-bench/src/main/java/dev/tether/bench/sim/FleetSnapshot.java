package dev.tether.bench.sim;

import dev.tether.bench.report.Histogram;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state of a fleet (or of several, merged) at one instant: counters since
 * it started, the agents' current state, and latency histograms (microseconds).
 * Travels between generator processes as JSON ({@link #toJson}, {@link #fromJson}).
 * Immutable apart from the histograms, which the owner must not change.
 *
 * @param online agents with an open session (Welcome received) now
 * @param everOnline agents that completed at least one handshake
 * @param pending reliable events published and not yet acknowledged by the server, over all agents
 * @param drained agents with nothing pending
 * @param lastWelcomeNanos latest Welcome over the fleet (System.nanoTime, comparable across processes on Linux)
 * @param lastDrainNanos latest moment an agent's pending count fell to zero
 * @param commandsReceived CommandRequests applied (each answered with a job that succeeds at once)
 * @param jobsFinished jobs whose JobFinished the server acknowledged
 * @param commandDelivery command sent to CommandRequest received, microseconds (while a mark is set)
 * @param jobEnd command sent to the server's ack of the JobFinished, microseconds (while a mark is set)
 */
public record FleetSnapshot(int agents, int online, int everOnline, long dials, long welcomes, long disconnects,
        long heartbeatsSent, long heartbeatAcks, long published, long pending, int drained,
        long reliableFromServer, long duplicatesFromServer, long ackRegressions, long protocolErrors,
        long lastWelcomeNanos, long lastDrainNanos, Map<String, Long> failures, Map<Integer, Long> closeCodes,
        Histogram connect, Histogram heartbeatRtt, Histogram ackLatency, long commandsReceived, long jobsFinished,
        Histogram commandDelivery, Histogram jobEnd) {

    /** Events the server has acknowledged (applied): published minus pending. */
    public long acknowledged() {
        return published - pending;
    }

    public long failureCount() {
        return failures.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Sums counters, takes the latest times and merges histograms. */
    public static FleetSnapshot merge(List<FleetSnapshot> parts) {
        Builder total = new Builder();
        for (FleetSnapshot p : parts) {
            total.agents += p.agents;
            total.online += p.online;
            total.everOnline += p.everOnline;
            total.pending += p.pending;
            total.drained += p.drained;
            total.add(p.dials, p.welcomes, p.disconnects, p.heartbeatsSent, p.heartbeatAcks, p.published,
                    p.reliableFromServer, p.duplicatesFromServer, p.ackRegressions, p.protocolErrors);
            total.lastWelcomeNanos = Math.max(total.lastWelcomeNanos, p.lastWelcomeNanos);
            total.lastDrainNanos = Math.max(total.lastDrainNanos, p.lastDrainNanos);
            p.failures.forEach((k, v) -> total.failures.merge(k, v, Long::sum));
            p.closeCodes.forEach((k, v) -> total.closeCodes.merge(k, v, Long::sum));
            total.connect.add(p.connect);
            total.heartbeatRtt.add(p.heartbeatRtt);
            total.ackLatency.add(p.ackLatency);
            total.commandsReceived += p.commandsReceived;
            total.jobsFinished += p.jobsFinished;
            total.commandDelivery.add(p.commandDelivery);
            total.jobEnd.add(p.jobEnd);
        }
        return total.build();
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("agents", agents);
        json.put("online", online);
        json.put("ever_online", everOnline);
        json.put("dials", dials);
        json.put("welcomes", welcomes);
        json.put("disconnects", disconnects);
        json.put("heartbeats_sent", heartbeatsSent);
        json.put("heartbeat_acks", heartbeatAcks);
        json.put("published", published);
        json.put("pending", pending);
        json.put("drained", drained);
        json.put("reliable_from_server", reliableFromServer);
        json.put("duplicates_from_server", duplicatesFromServer);
        json.put("ack_regressions", ackRegressions);
        json.put("protocol_errors", protocolErrors);
        json.put("last_welcome_nanos", lastWelcomeNanos);
        json.put("last_drain_nanos", lastDrainNanos);
        json.put("failures", new TreeMap<>(failures));
        Map<String, Object> codes = new TreeMap<>();
        closeCodes.forEach((k, v) -> codes.put(Integer.toString(k), v));
        json.put("close_codes", codes);
        json.put("connect_us", connect.encode());
        json.put("heartbeat_rtt_us", heartbeatRtt.encode());
        json.put("ack_latency_us", ackLatency.encode());
        json.put("commands_received", commandsReceived);
        json.put("jobs_finished", jobsFinished);
        json.put("command_delivery_us", commandDelivery.encode());
        json.put("job_end_us", jobEnd.encode());
        return json;
    }

    public static FleetSnapshot fromJson(Map<String, Object> json) {
        Builder b = new Builder();
        b.agents = (int) num(json, "agents");
        b.online = (int) num(json, "online");
        b.everOnline = (int) num(json, "ever_online");
        b.pending = num(json, "pending");
        b.drained = (int) num(json, "drained");
        b.add(num(json, "dials"), num(json, "welcomes"), num(json, "disconnects"), num(json, "heartbeats_sent"),
                num(json, "heartbeat_acks"), num(json, "published"), num(json, "reliable_from_server"),
                num(json, "duplicates_from_server"), num(json, "ack_regressions"), num(json, "protocol_errors"));
        b.lastWelcomeNanos = num(json, "last_welcome_nanos");
        b.lastDrainNanos = num(json, "last_drain_nanos");
        map(json, "failures").forEach((k, v) -> b.failures.put(k, ((Number) v).longValue()));
        map(json, "close_codes").forEach((k, v) -> b.closeCodes.put(Integer.parseInt(k), ((Number) v).longValue()));
        b.connect.add(Histogram.parse((String) json.get("connect_us")));
        b.heartbeatRtt.add(Histogram.parse((String) json.get("heartbeat_rtt_us")));
        b.ackLatency.add(Histogram.parse((String) json.get("ack_latency_us")));
        b.commandsReceived = num(json, "commands_received");
        b.jobsFinished = num(json, "jobs_finished");
        b.commandDelivery.add(Histogram.parse((String) json.get("command_delivery_us")));
        b.jobEnd.add(Histogram.parse((String) json.get("job_end_us")));
        return b.build();
    }

    private static long num(Map<String, Object> json, String key) {
        Object value = json.get(key);
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException("fleet snapshot without a number '" + key + "'");
        }
        return number.longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> json, String key) {
        Object value = json.get(key);
        return value instanceof Map ? (Map<String, Object>) value : Map.of();
    }

    /** Accumulates a snapshot from loop statistics and agent states. Not thread safe. */
    static final class Builder {
        int agents;
        int online;
        int everOnline;
        long pending;
        int drained;
        long dials;
        long welcomes;
        long disconnects;
        long heartbeatsSent;
        long heartbeatAcks;
        long published;
        long reliableFromServer;
        long duplicatesFromServer;
        long ackRegressions;
        long protocolErrors;
        long lastWelcomeNanos;
        long lastDrainNanos;
        final Map<String, Long> failures = new TreeMap<>();
        final Map<Integer, Long> closeCodes = new TreeMap<>();
        final Histogram connect = new Histogram();
        final Histogram heartbeatRtt = new Histogram();
        final Histogram ackLatency = new Histogram();
        long commandsReceived;
        long jobsFinished;
        final Histogram commandDelivery = new Histogram();
        final Histogram jobEnd = new Histogram();

        void add(long dialCount, long welcomeCount, long disconnectCount, long heartbeatsOut, long heartbeatsIn,
                long publishedCount, long fromServer, long duplicates, long regressions, long errors) {
            dials += dialCount;
            welcomes += welcomeCount;
            disconnects += disconnectCount;
            heartbeatsSent += heartbeatsOut;
            heartbeatAcks += heartbeatsIn;
            published += publishedCount;
            reliableFromServer += fromServer;
            duplicatesFromServer += duplicates;
            ackRegressions += regressions;
            protocolErrors += errors;
        }

        void add(LoopStats s) {
            add(s.dials, s.welcomes, s.disconnects, s.heartbeatsSent, s.heartbeatAcks, s.published,
                    s.reliableFromServer, s.duplicatesFromServer, s.ackRegressions, s.protocolErrors);
            lastWelcomeNanos = Math.max(lastWelcomeNanos, s.lastWelcomeNanos);
            lastDrainNanos = Math.max(lastDrainNanos, s.lastDrainNanos);
            s.failures.forEach((k, v) -> failures.merge(k, v, Long::sum));
            s.closeCodes.forEach((k, v) -> closeCodes.merge(k, v, Long::sum));
            connect.add(s.connect);
            heartbeatRtt.add(s.heartbeatRtt);
            ackLatency.add(s.ackLatency);
            commandsReceived += s.commandsReceived;
            jobsFinished += s.jobsFinished;
            commandDelivery.add(s.commandDelivery);
            jobEnd.add(s.jobEnd);
        }

        FleetSnapshot build() {
            return new FleetSnapshot(agents, online, everOnline, dials, welcomes, disconnects, heartbeatsSent,
                    heartbeatAcks, published, pending, drained, reliableFromServer, duplicatesFromServer,
                    ackRegressions, protocolErrors, lastWelcomeNanos, lastDrainNanos, Map.copyOf(failures),
                    Map.copyOf(closeCodes), connect, heartbeatRtt, ackLatency, commandsReceived, jobsFinished,
                    commandDelivery, jobEnd);
        }
    }
}
