package dev.tether.server.api;

import dev.tether.server.dispatch.Selector;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.Presences;
import dev.tether.server.store.AgentFilter;
import dev.tether.server.store.AgentFilter.Holding;
import dev.tether.server.store.AgentFilter.LabelCondition;
import dev.tether.server.store.AgentFilter.LabelOp;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code GET /api/v1/agents?limit=N&before=CURSOR&selector=S&status=X&revoked=B&q=TEXT}: one page of agents in
 * name order, and the cursor of the next ({@code next_before}, null on the last page).
 *
 * <p>The cursor is opaque to clients (the base64url of the last name on the page): paging is by key, so agents
 * enrolled or deleted while a client pages neither repeat nor hide the others. Name, labels, revocation and
 * approval are filtered in SQL. Whether an agent is online is known only to the node holding it: SQL narrows
 * the rows by {@code holder_node}, and each row is then checked against {@link Presences} (this node's live
 * connections, or another node's hold), reading further batches until the page is full.
 *
 * <p>Stateless; {@link #page} blocks (run it on the database executor).
 */
final class AgentListing {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    /** Longest {@code q}: no name is longer, so a longer one could never match. */
    static final int MAX_QUERY_LENGTH = AgentRequests.MAX_NAME_LENGTH;
    /** Rows read per query while a status filter discards some in Java. */
    static final int SCAN_BATCH = 500;
    /** The values of an agent's {@code status} (see {@link AgentJson}). */
    static final List<String> STATUSES = List.of("online", "offline", "pending");

    /** A parsed request. */
    record Query(AgentFilter filter, String status, String after, int limit) {
    }

    /** One page, and the cursor of the next (null when this is the last). */
    record Page(List<AgentRecord> agents, String nextBefore) {
    }

    private AgentListing() {
    }

    /** @throws ApiException 400 naming the first bad parameter and what it takes */
    static Query query(RoutingContext ctx, String nodeName) {
        String status = status(ctx.queryParams().get("status"));
        boolean online = "online".equals(status);
        boolean offline = "offline".equals(status);
        AgentFilter filter = new AgentFilter(q(ctx.queryParams().get("q")), labels(ctx.queryParams().get("selector")),
                revoked(ctx.queryParams().get("revoked")), status == null ? null : "pending".equals(status),
                online ? Holding.HELD : offline ? Holding.NOT_HELD_ELSEWHERE : Holding.ANY, nodeName);
        return new Query(filter, status, after(ctx.queryParams().get("before")), limit(ctx.queryParams().get("limit")));
    }

    static Page page(AgentStore agents, Hub hub, Query query) {
        boolean checkPresence = "online".equals(query.status()) || "offline".equals(query.status());
        int batch = checkPresence ? Math.max(SCAN_BATCH, query.limit() + 1) : query.limit() + 1;
        List<AgentRecord> matched = new ArrayList<>();
        String after = query.after();
        while (matched.size() <= query.limit()) {
            List<AgentRecord> rows = agents.page(query.filter(), after, batch);
            for (AgentRecord agent : rows) {
                if (!checkPresence || Presences.of(hub, agent).isPresent() == "online".equals(query.status())) {
                    matched.add(agent);
                }
            }
            if (rows.size() < batch) {
                break;
            }
            after = rows.get(rows.size() - 1).name();
        }
        if (matched.size() <= query.limit()) {
            return new Page(matched, null);
        }
        List<AgentRecord> page = List.copyOf(matched.subList(0, query.limit()));
        return new Page(page, cursor(page.get(page.size() - 1).name()));
    }

    static String cursor(String name) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(name.getBytes(StandardCharsets.UTF_8));
    }

    private static String after(String before) {
        if (before == null) {
            return null;
        }
        try {
            String name = new String(Base64.getUrlDecoder().decode(before), StandardCharsets.UTF_8);
            if (!name.isEmpty() && name.length() <= AgentRequests.MAX_NAME_LENGTH
                    && name.chars().noneMatch(Character::isISOControl)) {
                return name;
            }
        } catch (IllegalArgumentException notBase64) {
            // falls through to the error below
        }
        throw ApiException.badRequest("invalid_before", "before must be the next_before of a previous page;"
                + " leave it out for the first page");
    }

    private static int limit(String text) {
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw ApiException.badRequest("invalid_limit", "limit must be a whole number from 1 to " + MAX_LIMIT
                + " (default " + DEFAULT_LIMIT + ")");
    }

    private static String status(String text) {
        if (text == null || STATUSES.contains(text)) {
            return text;
        }
        throw ApiException.badRequest("invalid_status", "status must be one of " + String.join(", ", STATUSES)
                + ("revoked".equals(text) ? "; for revoked agents use revoked=true" : ""));
    }

    private static Boolean revoked(String text) {
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest("invalid_revoked", "revoked must be true or false");
        };
    }

    private static String q(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        if (text.length() > MAX_QUERY_LENGTH || text.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("invalid_q", "q must be at most " + MAX_QUERY_LENGTH
                    + " characters without control characters (it matches part of an agent's name)");
        }
        return text;
    }

    private static List<LabelCondition> labels(String text) {
        if (text == null) {
            return List.of();
        }
        Selector selector;
        try {
            selector = Selector.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_selector", e.getMessage());
        }
        return selector.terms().stream().map(term -> new LabelCondition(term.key(), switch (term.op()) {
            case EQUALS -> LabelOp.EQUALS;
            case NOT_EQUALS -> LabelOp.NOT_EQUALS;
            case EXISTS -> LabelOp.EXISTS;
            case ABSENT -> LabelOp.ABSENT;
        }, term.value())).toList();
    }
}
