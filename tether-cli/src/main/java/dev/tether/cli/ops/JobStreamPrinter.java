package dev.tether.cli.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Prints the output events of a command's jobs as whole lines prefixed by the
 * agent's name, and a progress line on a terminal when many agents run.
 * Not thread safe: fed by the one thread reading the event stream.
 */
final class JobStreamPrinter {

    /** Fan-outs this large get a progress line instead of a silent wait. */
    static final int PROGRESS_FROM_JOBS = 10;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    private final boolean quiet;
    private final int total;
    private final int nameWidth;
    private final boolean progress;
    private final Map<String, StringBuilder> partialLines = new HashMap<>();
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, String> states = new HashMap<>();

    JobStreamPrinter(JsonArray jobs, boolean quiet) {
        this.quiet = quiet;
        this.total = jobs.size();
        int width = 0;
        for (int i = 0; i < jobs.size(); i++) {
            JsonObject job = jobs.getJsonObject(i);
            String name = job.getString("agent_name", job.getString("agent_id"));
            names.put(job.getString("id"), name);
            width = Math.max(width, name.length());
        }
        this.nameWidth = width;
        this.progress = total >= PROGRESS_FROM_JOBS && System.console() != null;
    }

    /** Handles one event; returns false once the stream reported its end. */
    boolean accept(ServerSentEvents.Event event) {
        JsonObject data = new JsonObject(event.data());
        switch (event.type()) {
            case "output" -> output(data);
            case "state" -> state(data);
            case "end" -> {
                return false;
            }
            default -> {
                // newer event types are ignored
            }
        }
        return true;
    }

    private void output(JsonObject data) {
        if (quiet) {
            return;
        }
        String job = data.getString("job_id");
        names.putIfAbsent(job, data.getString("agent_name", job));
        StringBuilder buffer = partialLines.computeIfAbsent(job, k -> new StringBuilder());
        buffer.append(data.getString("data", ""));
        int newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
            printLine(job, buffer.substring(0, newline));
            buffer.delete(0, newline + 1);
        }
    }

    private void state(JsonObject data) {
        String job = data.getString("job_id");
        states.put(job, data.getString("state"));
        if (progress) {
            long done = states.values().stream().filter(JobTables::isFinal).count();
            long failed = states.values().stream().filter(s -> JobTables.isFinal(s) && !"succeeded".equals(s)).count();
            long running = states.values().stream().filter("running"::equals).count();
            err.printf("\r[%d/%d done, %d failed, %d running]", done, total, failed, running);
            err.flush();
        }
    }

    private void printLine(String job, String line) {
        if (progress) {
            err.print("\r\033[K");
        }
        String name = names.getOrDefault(job, job);
        out.println(name + " ".repeat(Math.max(0, nameWidth - name.length())) + " | " + line);
    }

    /** Prints what is left of unfinished lines. */
    void finish() {
        partialLines.forEach((job, rest) -> {
            if (!rest.isEmpty()) {
                printLine(job, rest.toString());
            }
        });
        partialLines.clear();
        if (progress) {
            err.println();
        }
        out.flush();
    }
}
