package dev.tether.cli.ops;

import dev.tether.cli.Durations;
import dev.tether.cli.shell.CastPlayer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tether sessions ...}: recorded shell sessions. */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = "List recorded shell sessions and play them back.",
        subcommands = {SessionsCommand.List.class, SessionsCommand.Play.class})
public final class SessionsCommand {

    @Command(name = "ls", description = "List shell sessions, newest first.")
    static final class List implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Option(names = "--agent", paramLabel = "AGENT", description = "Only this agent's sessions (id or name).")
        String agent;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N (default 50).")
        int limit;

        @Override
        public Integer call() {
            String query = "?limit=" + limit + (agent == null ? "" : "&agent=" + URLEncoder.encode(agent, StandardCharsets.UTF_8));
            JsonObject body = api.client().get("/api/v1/sessions" + query);
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            JsonArray sessions = body.getJsonArray("sessions", new JsonArray());
            if (sessions.isEmpty()) {
                System.out.println("no shell sessions yet: open one with tether shell AGENT");
                return 0;
            }
            Table table = new Table("ID", "AGENT", "ACTOR", "STARTED", "DURATION", "STATE", "EXIT", "IN", "OUT",
                    "COMMAND");
            for (int i = 0; i < sessions.size(); i++) {
                JsonObject s = sessions.getJsonObject(i);
                JsonArray command = s.getJsonArray("command", new JsonArray());
                table.row(s.getString("id"), s.getString("agent_id"), s.getString("actor"), s.getString("started_at"),
                        duration(s), s.getString("state"), s.getValue("exit_code"), s.getValue("bytes_in"),
                        s.getValue("bytes_out"), command.isEmpty() ? "(shell)" : String.join(" ", command.getList()));
            }
            table.print(System.out);
            return 0;
        }

        private static String duration(JsonObject session) {
            String ended = session.getString("ended_at");
            Instant end = ended == null ? Instant.now() : Instant.parse(ended);
            long seconds = Duration.between(Instant.parse(session.getString("started_at")), end).toSeconds();
            return seconds < 60 ? seconds + "s" : seconds / 60 + "m" + seconds % 60 + "s";
        }
    }

    @Command(name = "play", description = "Replay a session's recording in this terminal at its recorded pace.")
    static final class Play implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "Session id (from tether sessions ls).")
        String session;

        @Option(names = "--speed", paramLabel = "X", defaultValue = "1",
                description = "Play X times faster than recorded (default 1).")
        double speed;

        @Option(names = "--idle-limit", paramLabel = "DURATION", defaultValue = "2s", converter = Durations.class,
                description = "Cut pauses longer than this (default 2s).")
        Duration idleLimit;

        @Override
        public Integer call() throws InterruptedException {
            CastPlayer player = new CastPlayer(speed, idleLimit);
            String cast = api.client().getText("/api/v1/sessions/" + URLEncoder.encode(session, StandardCharsets.UTF_8) + "/recording");
            player.play(cast, System.out);
            return 0;
        }
    }
}
