package dev.tether.cli.ops;

import dev.tether.cli.Durations;
import dev.tether.cli.Labels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tether run}: runs a command on agents chosen by id or label selector,
 * streams each agent's output prefixed by its name, and ends with a summary.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a command on one or many agents and stream their output.",
                "Exit status: the remote exit code when one agent was targeted; with several, 0 when every job",
                "succeeded and 1 otherwise. Ctrl-C detaches; the command keeps running on the agents."})
public final class RunCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Option(names = "--agent", paramLabel = "AGENT", description = "Target agent, by id or name (repeatable).")
    List<String> agents = new ArrayList<>();

    @Option(names = "--selector", paramLabel = "SELECTOR", description = "Target agents by labels, e.g. env=prod,role=db.")
    String selector;

    @Option(names = "--max-concurrency", paramLabel = "N", description = "At most N jobs running at once (default: all).")
    Integer maxConcurrency;

    @Option(names = "--max-errors", paramLabel = "N", description = "Stop starting new jobs after more than N failures.")
    Integer maxErrors;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "Kill a job that runs longer than this (e.g. 30s, 10m).")
    Duration timeout;

    @Option(names = "--deadline", paramLabel = "DURATION", converter = Durations.class,
            description = "A job not started within this time (agent offline) ends expired.")
    Duration deadline;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "Environment variable for the process (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(names = "--cwd", paramLabel = "DIR", description = "Working directory on the agent.")
    String cwd;

    @Option(names = "--quiet", description = "Do not print output, only the summary.")
    boolean quiet;

    @Parameters(paramLabel = "ARGV", arity = "1..*", description = "The program and its arguments, after --.")
    List<String> argv = new ArrayList<>();

    @Override
    public Integer call() {
        if (agents.isEmpty() && selector == null) {
            throw new IllegalArgumentException("choose targets: --agent NAME (repeatable) or --selector key=value,...");
        }
        ApiClient client = api.client();
        JsonObject created = client.post("/api/v1/commands", request());
        String commandId = created.getString("id");
        JsonArray jobs = created.getJsonArray("jobs", new JsonArray());
        if (!api.json()) {
            System.err.println("command " + commandId + " on " + jobs.size() + (jobs.size() == 1 ? " agent" : " agents"));
        }
        JobStreamPrinter printer = new JobStreamPrinter(jobs, quiet || api.json());
        client.stream("/api/v1/commands/" + commandId + "/output?follow=true", null, printer::accept);
        printer.finish();

        JsonObject summary = client.get("/api/v1/commands/" + commandId);
        if (api.json()) {
            System.out.println(summary.encodePrettily());
        } else {
            JobTables.summary(summary.getJsonArray("jobs", new JsonArray())).print(System.out);
        }
        return exitStatus(summary.getJsonArray("jobs", new JsonArray()));
    }

    private JsonObject request() {
        JsonObject body = new JsonObject().put("type", "exec").put("argv", new JsonArray(new ArrayList<>(argv)));
        if (!agents.isEmpty()) {
            body.put("agents", new JsonArray(new ArrayList<>(agents)));
        }
        if (selector != null) {
            body.put("selector", selector);
        }
        if (!env.isEmpty()) {
            body.put("env", new JsonObject(new java.util.LinkedHashMap<>(Labels.parse(env))));
        }
        putIfSet(body, "cwd", cwd);
        putIfSet(body, "max_concurrency", maxConcurrency);
        putIfSet(body, "max_errors", maxErrors);
        putIfSet(body, "timeout_s", timeout == null ? null : timeout.toSeconds());
        putIfSet(body, "deadline_s", deadline == null ? null : deadline.toSeconds());
        return body;
    }

    private static void putIfSet(JsonObject body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }

    static int exitStatus(JsonArray jobs) {
        if (jobs.size() == 1) {
            JsonObject job = jobs.getJsonObject(0);
            Integer exit = job.getInteger("exit_code");
            if ("succeeded".equals(job.getString("state"))) {
                return 0;
            }
            return exit != null && exit > 0 && exit < 256 ? exit : 1;
        }
        for (int i = 0; i < jobs.size(); i++) {
            if (!"succeeded".equals(jobs.getJsonObject(i).getString("state"))) {
                return 1;
            }
        }
        return 0;
    }
}
