package dev.tether.server.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which agents a page of {@link AgentStore#page} holds, as SQL conditions: a case-insensitive substring of the
 * name, label conditions (read from the {@code labels} JSON column with each dialect's JSON functions), revoked
 * or not, pending approval or not, and whether a node holds the agent's connection. Null fields do not filter.
 * Immutable.
 *
 * @param nameContains a substring of the name, compared case-insensitively; null for any name
 * @param labels conditions every matching agent's server-assigned labels meet
 * @param revoked true for revoked agents only, false for agents not revoked, null for both
 * @param pending true for agents waiting for approval only, false for the others, null for both
 * @param holding which agents by the node holding them
 * @param node the node {@link Holding#NOT_HELD_ELSEWHERE} compares with; unused otherwise
 */
public record AgentFilter(String nameContains, List<LabelCondition> labels, Boolean revoked, Boolean pending,
        Holding holding, String node) {

    public AgentFilter {
        labels = List.copyOf(labels);
    }

    /** Every agent. */
    public static AgentFilter all() {
        return new AgentFilter(null, List.of(), null, null, Holding.ANY, null);
    }

    /** Agents by the node holding their connection ({@code agents.holder_node}). */
    public enum Holding {
        ANY,
        /** Some node holds it: every online agent, and agents a node has not released yet. */
        HELD,
        /** No node, or only {@link AgentFilter#node}, holds it: every agent offline as far as that node knows. */
        NOT_HELD_ELSEWHERE
    }

    /** How a label condition compares. */
    public enum LabelOp { EQUALS, NOT_EQUALS, EXISTS, ABSENT }

    /**
     * One condition on a label.
     *
     * @param value compared with for EQUALS and NOT_EQUALS (not equal also matches an absent label); else null
     */
    public record LabelCondition(String key, LabelOp op, String value) {
    }

    /** The WHERE conditions (each starting with {@code AND}) and their parameters, in order. */
    record Sql(String conditions, List<String> parameters) {
    }

    Sql toSql(Dialect dialect) {
        StringBuilder sql = new StringBuilder();
        List<String> parameters = new ArrayList<>();
        if (nameContains != null) {
            sql.append(" AND LOWER(name) LIKE ? ESCAPE '\\'");
            parameters.add("%" + escapeLike(nameContains.toLowerCase(Locale.ROOT)) + "%");
        }
        for (LabelCondition label : labels) {
            String value = dialect.jsonText("labels");
            String key = dialect.jsonKey(label.key());
            switch (label.op()) {
                case EQUALS -> {
                    sql.append(" AND ").append(value).append(" = ?");
                    parameters.add(key);
                    parameters.add(label.value());
                }
                case NOT_EQUALS -> {
                    sql.append(" AND (").append(value).append(" IS NULL OR ").append(value).append(" <> ?)");
                    parameters.add(key);
                    parameters.add(key);
                    parameters.add(label.value());
                }
                case EXISTS -> {
                    sql.append(" AND ").append(value).append(" IS NOT NULL");
                    parameters.add(key);
                }
                case ABSENT -> {
                    sql.append(" AND ").append(value).append(" IS NULL");
                    parameters.add(key);
                }
            }
        }
        if (revoked != null) {
            sql.append(revoked ? " AND revoked_at IS NOT NULL" : " AND revoked_at IS NULL");
        }
        if (pending != null) {
            sql.append(pending ? " AND approval = 'pending'" : " AND (approval IS NULL OR approval <> 'pending')");
        }
        switch (holding) {
            case ANY -> {
                // no condition
            }
            case HELD -> sql.append(" AND holder_node IS NOT NULL");
            case NOT_HELD_ELSEWHERE -> {
                sql.append(" AND (holder_node IS NULL OR holder_node = ?)");
                parameters.add(node);
            }
        }
        return new Sql(sql.toString(), parameters);
    }

    /** LIKE treats % and _ as wildcards: a name substring matches them literally. */
    private static String escapeLike(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
