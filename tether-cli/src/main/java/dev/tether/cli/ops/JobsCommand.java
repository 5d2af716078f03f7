package dev.tether.cli.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tether jobs ...}: one agent's part of a command. */
@Command(name = "jobs", mixinStandardHelpOptions = true,
        description = "Inspect, follow and cancel jobs.",
        subcommands = {JobsCommand.Show.class, JobsCommand.Logs.class, JobsCommand.Cancel.class})
public final class JobsCommand {

    @Command(name = "show", description = "Show a job's state, exit code and timestamps.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "JOB", description = "Job id.")
        String job;

        @Override
        public Integer call() {
            JsonObject body = api.client().get("/api/v1/jobs/" + job);
            if (api.json()) {
                System.out.println(body.encodePrettily());
            } else {
                for (Map.Entry<String, Object> field : body) {
                    System.out.printf("%-14s %s%n", field.getKey() + ":", field.getValue());
                }
            }
            return 0;
        }
    }

    @Command(name = "logs", description = "Print a job's output; with -f follow it until the job ends.")
    static final class Logs implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "JOB", description = "Job id.")
        String job;

        @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the job ends.")
        boolean follow;

        @Override
        public Integer call() {
            ApiClient client = api.client();
            if (!follow) {
                JsonArray chunks = client.get("/api/v1/jobs/" + job + "/output").getJsonArray("chunks", new JsonArray());
                for (int i = 0; i < chunks.size(); i++) {
                    print(chunks.getJsonObject(i));
                }
                System.out.flush();
                return 0;
            }
            client.stream("/api/v1/jobs/" + job + "/output?follow=true", null, event -> {
                if ("output".equals(event.type())) {
                    print(new JsonObject(event.data()));
                    return true;
                }
                return !"end".equals(event.type());
            });
            System.out.flush();
            return 0;
        }

        private static void print(JsonObject chunk) {
            String data = chunk.getString("data", "");
            if ("stderr".equals(chunk.getString("stream"))) {
                System.err.print(data);
            } else {
                System.out.print(data);
            }
        }
    }

    @Command(name = "cancel", description = "Cancel a job: its process group gets SIGTERM, then SIGKILL.")
    static final class Cancel implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "JOB", description = "Job id.")
        String job;

        @Override
        public Integer call() {
            JsonObject body = api.client().post("/api/v1/jobs/" + job + "/cancel", new JsonObject());
            System.out.println(api.json() ? body.encodePrettily() : "cancel requested for " + job
                    + " (state: " + body.getString("state") + ")");
            return 0;
        }
    }
}
