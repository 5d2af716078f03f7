package dev.tether.cli.ops;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether events}: the server's event stream (agents online/offline, job states, agent events). */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = {"Print recent fleet events; with -f keep following them.",
                "Types: agent.online, agent.offline, agent.event, job.state, command.state."})
public final class EventsCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Option(names = {"-f", "--follow"}, description = "Keep printing events as they happen (Ctrl-C to stop).")
    boolean follow;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only this event type (repeatable).")
    List<String> types = new ArrayList<>();

    @Option(names = "--agent", paramLabel = "AGENT", description = "Only events of this agent (id or name).")
    String agent;

    @Option(names = "--since", paramLabel = "EVENT_ID", description = "Start after this event id (default: recent ones).")
    String since;

    @Override
    public Integer call() {
        StringBuilder query = new StringBuilder("?follow=").append(follow);
        if (!types.isEmpty()) {
            query.append("&types=").append(URLEncoder.encode(String.join(",", types), StandardCharsets.UTF_8));
        }
        if (agent != null) {
            query.append("&agent=").append(URLEncoder.encode(agent, StandardCharsets.UTF_8));
        }
        api.client().stream("/api/v1/events" + query, since, event -> {
            if (api.json()) {
                System.out.println(new JsonObject().put("id", event.id()).put("type", event.type())
                        .put("data", new JsonObject(event.data())).encode());
            } else {
                System.out.println(event.id() + "  " + event.type() + "  " + event.data());
            }
            System.out.flush();
            return true;
        });
        return 0;
    }
}
