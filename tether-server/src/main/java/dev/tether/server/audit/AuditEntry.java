package dev.tether.server.audit;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One audit log entry, as stored.
 *
 * @param at epoch millis
 * @param actor who acted: {@code admin} for the admin token
 * @param action dotted name, e.g. {@code shell.session}
 * @param target what it acted on (an agent id, ...), or null
 * @param source the client's address, or null
 */
public record AuditEntry(long id, long at, String actor, String action, String target, String source,
        JsonObject details) {

    /** An entry to append. */
    public record New(long at, String actor, String action, String target, String source, JsonObject details) {
    }

    /** Which entries to list; a null field matches everything. Times in epoch millis, {@code until} exclusive. */
    public record Filter(String actor, String action, String target, Long since, Long until) {
    }

    /** @param nextBefore the cursor of the next page, null on the last page */
    public record Page(List<AuditEntry> entries, Long nextBefore) {
    }
}
