package dev.tether.cli.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code tether commands ...}: commands sent to the fleet, with their jobs. */
@Command(name = "commands", mixinStandardHelpOptions = true,
        description = "List, inspect and cancel commands.",
        subcommands = {CommandsCommand.Ls.class, CommandsCommand.Show.class, CommandsCommand.Cancel.class})
public final class CommandsCommand {

    @Command(name = "ls", description = "Recent commands, newest first.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            JsonObject body = api.client().get("/api/v1/commands");
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            Table table = new Table("ID", "CREATED", "TYPE", "STATE", "JOBS", "COMMAND");
            JsonArray commands = body.getJsonArray("commands", new JsonArray());
            for (int i = 0; i < commands.size(); i++) {
                JsonObject c = commands.getJsonObject(i);
                JsonArray argv = c.getJsonArray("argv", new JsonArray());
                table.row(c.getString("id"), c.getString("created_at"), c.getString("type"), c.getString("state"),
                        c.getValue("job_count"), String.join(" ", argv.stream().map(String::valueOf).toList()));
            }
            table.print(System.out);
            return 0;
        }
    }

    @Command(name = "show", description = "A command with its progress counts and jobs.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "COMMAND", description = "Command id.")
        String command;

        @Override
        public Integer call() {
            JsonObject body = api.client().get("/api/v1/commands/" + command);
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            System.out.println("command " + body.getString("id") + " (" + body.getString("type") + ", "
                    + body.getString("state") + ")");
            JsonObject counts = body.getJsonObject("counts", new JsonObject());
            StringBuilder line = new StringBuilder();
            counts.forEach(e -> {
                if (e.getValue() instanceof Number n && n.longValue() > 0) {
                    line.append(line.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(n);
                }
            });
            System.out.println(line.isEmpty() ? "no jobs" : line);
            JobTables.summary(body.getJsonArray("jobs", new JsonArray())).print(System.out);
            return 0;
        }
    }

    @Command(name = "cancel", description = "Cancel every unfinished job of a command.")
    static final class Cancel implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "COMMAND", description = "Command id.")
        String command;

        @Override
        public Integer call() {
            JsonObject body = api.client().post("/api/v1/commands/" + command + "/cancel", new JsonObject());
            System.out.println(api.json() ? body.encodePrettily() : "cancel requested for " + command);
            return 0;
        }
    }
}
