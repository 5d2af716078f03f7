package dev.tether.cli;

import dev.tether.agent.json.Json;
import dev.tether.agent.json.Json.Member;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** The agent's status (the JSON of {@code StatusReport}) as lines for a terminal. */
final class AgentStatusText {

    private static final int WIDTH = 14;

    private final Map<String, Member> fields;

    private AgentStatusText(Map<String, Member> fields) {
        this.fields = fields;
    }

    static AgentStatusText parse(String json) {
        return new AgentStatusText(Json.members(json));
    }

    boolean running() {
        return "true".equals(text(fields, "running"));
    }

    boolean connected() {
        return "true".equals(text(fields, "connected"));
    }

    String render(long nowMs) {
        StringBuilder out = new StringBuilder();
        String name = text(fields, "agent_name");
        String id = text(fields, "agent_id");
        line(out, "agent", id == null ? "not yet known to a server (no session so far)"
                : (name == null ? "" : name + " ") + "(id " + id + ")");
        line(out, "running", running()
                ? "yes, pid " + text(fields, "pid") + ", version " + text(fields, "version")
                : "no" + (text(fields, "version") == null ? "" : " (last run: version " + text(fields, "version") + ")"));
        line(out, "connected", connection(nowMs));
        String session = text(fields, "session_id");
        if (session != null) {
            line(out, running() && connected() ? "session" : "last session", session);
        }
        String config = text(fields, "config_version");
        line(out, "config", "0".equals(config) ? "none applied" : "version " + config + " applied");
        line(out, "outbox", outbox(nowMs));
        line(out, "state dir", text(fields, "state_dir"));
        List<Member> errors = Json.elements(fields.get("last_errors").text());
        line(out, "last errors", errors.isEmpty() ? "none" : "");
        for (Member error : errors) {
            Map<String, Member> e = Json.members(error.text());
            out.append("  ").append(when(text(e, "at_ms"), nowMs)).append("  ").append(text(e, "message")).append('\n');
        }
        List<Member> boots = Json.elements(fields.get("boots").text());
        line(out, "recent starts", boots.isEmpty() ? "none" : "");
        for (Member boot : boots) {
            Map<String, Member> b = Json.members(boot.text());
            out.append("  ").append(when(text(b, "started_ms"), nowMs)).append("  version ")
                    .append(text(b, "version")).append("  boot ").append(text(b, "boot_id")).append('\n');
        }
        return out.toString().stripTrailing();
    }

    private String connection(long nowMs) {
        String server = text(fields, "server");
        String since = text(fields, "since_ms");
        if (connected()) {
            return "yes, to " + server + " since " + when(since, nowMs);
        }
        if (running()) {
            return "no" + (since == null ? "" : " (since " + when(since, nowMs) + ")")
                    + (server == null ? "" : ", trying " + server);
        }
        String last = text(fields, "last_connected_ms");
        if (last == null) {
            return "no; never connected";
        }
        return "no; last connected to " + server + " at " + when(last, nowMs) + (since == null
                ? ", and the agent stopped without recording the end (killed?)"
                : ", until " + when(since, nowMs));
    }

    private String outbox(long nowMs) {
        Map<String, Member> outbox = Json.members(fields.get("outbox").text());
        String depth = text(outbox, "depth");
        if ("0".equals(depth)) {
            return "empty: the server has everything";
        }
        StringBuilder line = new StringBuilder(depth).append(" waiting for the server");
        Member oldest = outbox.get("oldest_pending");
        if (oldest != null && oldest.kind() == Member.Kind.OBJECT) {
            Map<String, Member> pending = Json.members(oldest.text());
            line.append("; oldest: seq ").append(text(pending, "seq")).append(", ").append(text(pending, "kind"));
            if (text(pending, "type") != null) {
                line.append(' ').append(text(pending, "type"));
            }
            if (text(pending, "occurred_ms") != null) {
                line.append(" of ").append(when(text(pending, "occurred_ms"), nowMs));
            }
        }
        return line.toString();
    }

    /** "2026-12-06T21:40:01Z (3m 12s ago)". */
    static String when(String ms, long nowMs) {
        if (ms == null) {
            return "?";
        }
        long at = Long.parseLong(ms);
        return Instant.ofEpochMilli(at).truncatedTo(ChronoUnit.SECONDS) + " (" + ago(nowMs - at) + ")";
    }

    static String ago(long millis) {
        if (millis < 0) {
            return "in the future: check the clock";
        }
        long s = millis / 1000;
        if (s < 60) {
            return s + "s ago";
        }
        if (s < 3600) {
            return s / 60 + "m " + s % 60 + "s ago";
        }
        if (s < 86_400) {
            return s / 3600 + "h " + s % 3600 / 60 + "m ago";
        }
        return s / 86_400 + "d " + s % 86_400 / 3600 + "h ago";
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(label);
        if (!value.isEmpty()) {
            out.append(" ".repeat(Math.max(1, WIDTH - label.length()))).append(value);
        }
        out.append('\n');
    }

    /** A member's text; null when absent or JSON null. */
    private static String text(Map<String, Member> fields, String name) {
        Member member = fields.get(name);
        return member == null || member.kind() == Member.Kind.NULL ? null : member.text();
    }
}
