package dev.tether.cli.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/** How jobs are shown in tables. */
final class JobTables {

    private static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled", "timed_out", "expired", "lost");

    private JobTables() {
    }

    static boolean isFinal(String state) {
        return FINAL.contains(state);
    }

    static Table summary(JsonArray jobs) {
        Table table = new Table("AGENT", "JOB", "STATE", "EXIT", "DURATION", "ERROR");
        for (int i = 0; i < jobs.size(); i++) {
            JsonObject job = jobs.getJsonObject(i);
            table.row(job.getString("agent_name", job.getString("agent_id")), job.getString("id"), job.getString("state"),
                    job.getValue("exit_code"), duration(job), job.getString("error"));
        }
        return table;
    }

    static String duration(JsonObject job) {
        String started = job.getString("started_at");
        String finished = job.getString("finished_at");
        if (started == null || finished == null) {
            return null;
        }
        Duration d = Duration.between(Instant.parse(started), Instant.parse(finished));
        return d.toMillis() < 10_000 ? d.toMillis() + "ms" : d.toSeconds() + "s";
    }
}
