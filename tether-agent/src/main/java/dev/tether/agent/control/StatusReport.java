package dev.tether.agent.control;

import dev.tether.agent.connection.LinkStatus;
import dev.tether.agent.state.LinkJournal;
import dev.tether.agent.state.StateSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status {@code tether agent status} shows, as a JSON object: from the running agent (its connection now,
 * and its state database), or from the state database alone when the agent is stopped. Times are Unix ms.
 * <pre>
 * running, pid, version, state_dir,
 * connected, server, since_ms (connected: since when; not: since when not, null if unknown),
 * session_id (the current session; stopped: the last), agent_id, agent_name, config_version,
 * outbox {depth, oldest_pending {seq, kind, type, occurred_ms} or null},
 * last_errors [{at_ms, message}] newest first, boots [{started_ms, boot_id, version}] newest first
 * </pre>
 */
public final class StatusReport {

    private StatusReport() {
    }

    /** The running agent's status. */
    public static Map<String, Object> running(Path stateDir, StateSnapshot state, LinkStatus.Now now, String version) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("running", true);
        report.put("pid", ProcessHandle.current().pid());
        report.put("version", version);
        report.put("state_dir", stateDir.toString());
        report.put("connected", now.connected());
        report.put("server", now.server() != null ? now.server() : state.link().server());
        report.put("since_ms", now.sinceMs());
        report.put("session_id", now.sessionId());
        return common(report, state);
    }

    /** A stopped agent's status, from its state database. */
    public static Map<String, Object> stopped(Path stateDir, StateSnapshot state) {
        LinkJournal.Link link = state.link();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("running", false);
        report.put("pid", null);
        report.put("version", state.boots().isEmpty() ? null : state.boots().getFirst().version());
        report.put("state_dir", stateDir.toString());
        report.put("connected", false);
        report.put("server", link.server());
        // A session without an end: the process died during it, at a moment not recorded.
        report.put("since_ms", link.disconnectedMs());
        report.put("last_connected_ms", link.connectedMs());
        report.put("session_id", state.state().sessionId());
        return common(report, state);
    }

    private static Map<String, Object> common(Map<String, Object> report, StateSnapshot state) {
        report.put("agent_id", state.state().agentId());
        report.put("agent_name", state.state().agentName());
        report.put("config_version", state.state().configVersion());
        Map<String, Object> outbox = new LinkedHashMap<>();
        outbox.put("depth", state.outboxDepth());
        StateSnapshot.Pending pending = state.oldestPending();
        if (pending == null) {
            outbox.put("oldest_pending", null);
        } else {
            Map<String, Object> oldest = new LinkedHashMap<>();
            oldest.put("seq", pending.seq());
            oldest.put("kind", pending.kind());
            oldest.put("type", pending.eventType());
            oldest.put("occurred_ms", pending.occurredMs());
            outbox.put("oldest_pending", oldest);
        }
        report.put("outbox", outbox);
        List<Object> errors = new ArrayList<>();
        for (LinkJournal.LinkError error : state.link().errors()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("at_ms", error.atMs());
            entry.put("message", error.message());
            errors.add(entry);
        }
        report.put("last_errors", errors);
        List<Object> boots = new ArrayList<>();
        for (StateSnapshot.Boot boot : state.boots()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("started_ms", boot.startedMs());
            entry.put("boot_id", boot.bootId());
            entry.put("version", boot.version());
            boots.add(entry);
        }
        report.put("boots", boots);
        return report;
    }
}
