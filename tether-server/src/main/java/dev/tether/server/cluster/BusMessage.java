package dev.tether.server.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The text of one {@code NOTIFY} on the cluster channel: the sending node's name on the first line, then one
 * line per notice. PostgreSQL caps a payload below 8,000 bytes, so {@link #encode} splits a long list into
 * several messages. Lines:
 * <pre>
 * W id,id,...          these agents' outboxes grew ("W *": every agent's)
 * R id                 this agent was revoked
 * T node id epoch      node must close its connection of agent id older than epoch (taken over)
 * E                    server events were committed
 * </pre>
 * Stateless.
 */
final class BusMessage {

    /** Bytes of a payload at most: PostgreSQL refuses 8,000 or more. */
    static final int MAX_PAYLOAD = 7_000;
    static final String ALL = "*";

    private BusMessage() {
    }

    /** What one node has to say, collected since its last notify. */
    record Notices(List<String> wakes, boolean wakeAll, List<String> revokes, List<String> takeovers,
            boolean events) {

        boolean isEmpty() {
            return wakes.isEmpty() && !wakeAll && revokes.isEmpty() && takeovers.isEmpty() && !events;
        }
    }

    /** The payloads carrying {@code notices} from {@code node}, each under {@link #MAX_PAYLOAD}. */
    static List<String> encode(String node, Notices notices) {
        List<String> lines = new ArrayList<>();
        if (notices.wakeAll()) {
            lines.add("W " + ALL);
        } else {
            joinInto(lines, "W ", notices.wakes(), MAX_PAYLOAD - node.length() - 8);
        }
        notices.revokes().forEach(id -> lines.add("R " + id));
        notices.takeovers().forEach(takeover -> lines.add("T " + takeover));
        if (notices.events()) {
            lines.add("E");
        }
        return pack(node, lines);
    }

    /** Ids joined with commas into lines of at most {@code max} characters. */
    private static void joinInto(List<String> lines, String prefix, Collection<String> ids, int max) {
        StringBuilder line = new StringBuilder();
        for (String id : ids) {
            if (line.length() > 0 && line.length() + id.length() + 1 > max) {
                lines.add(prefix + line);
                line.setLength(0);
            }
            line.append(line.length() == 0 ? "" : ",").append(id);
        }
        if (line.length() > 0) {
            lines.add(prefix + line);
        }
    }

    private static List<String> pack(String node, List<String> lines) {
        List<String> payloads = new ArrayList<>();
        StringBuilder payload = new StringBuilder(node);
        for (String line : lines) {
            if (payload.length() + line.length() + 1 > MAX_PAYLOAD) {
                payloads.add(payload.toString());
                payload.setLength(0);
                payload.append(node);
            }
            payload.append('\n').append(line);
        }
        if (payload.length() > node.length()) {
            payloads.add(payload.toString());
        }
        return payloads;
    }

    /** What a received payload asks of this node. */
    interface Handler {
        void wake(String agentId);

        void wakeAll();

        void revoke(String agentId);

        void takenOver(String agentId, long epoch, String byNode);

        void events();
    }

    /**
     * Hands the notices of one payload to {@code handler}; payloads of {@code self} and lines it does not
     * know (a newer node's) are skipped.
     */
    static void decode(String payload, String self, Handler handler) {
        String[] lines = payload.split("\n");
        String from = lines[0];
        if (from.equals(self)) {
            return;
        }
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("W ")) {
                String ids = line.substring(2);
                if (ids.equals(ALL)) {
                    handler.wakeAll();
                } else {
                    for (String id : ids.split(",")) {
                        handler.wake(id);
                    }
                }
            } else if (line.startsWith("R ")) {
                handler.revoke(line.substring(2));
            } else if (line.startsWith("T ")) {
                takeover(line.substring(2).split(" "), self, from, handler);
            } else if (line.equals("E")) {
                handler.events();
            }
        }
    }

    private static void takeover(String[] fields, String self, String from, Handler handler) {
        if (fields.length == 3 && fields[0].equals(self)) {
            try {
                handler.takenOver(fields[1], Long.parseLong(fields[2]), from);
            } catch (NumberFormatException e) {
                // A garbled line from a peer is skipped; the fence stops the stale connection anyway.
            }
        }
    }
}
