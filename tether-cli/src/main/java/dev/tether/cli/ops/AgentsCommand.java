package dev.tether.cli.ops;

import dev.tether.cli.Labels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether agents ...}: list, inspect, create, relabel, revoke, delete and configure agents. */
@Command(name = "agents", mixinStandardHelpOptions = true,
        description = "Manage agents through the REST API.",
        subcommands = {
                AgentsCommand.Ls.class,
                AgentsCommand.Show.class,
                AgentsCommand.Create.class,
                AgentsCommand.Label.class,
                AgentsCommand.Revoke.class,
                AgentsCommand.Delete.class,
                AgentsCommand.Approve.class,
                AgentsCommand.Reject.class,
                AgentsCommand.Config.class,
                AgentsCommand.Events.class
        })
public final class AgentsCommand {

    static String path(String id) {
        return "/api/v1/agents/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    @Command(name = "ls", description = {"List agents with their status, in name order.",
            "Every page is fetched unless --limit says how many to show."})
    static final class Ls implements Callable<Integer> {
        /** Agents asked for per request while following the pages: the most the server gives. */
        static final int PAGE = 1000;
        static final List<String> STATUSES = List.of("online", "offline", "pending");

        @Mixin
        ApiOptions api;

        @Spec
        CommandSpec spec;

        @Option(names = "--selector", paramLabel = "SELECTOR", description = "Only agents whose labels match, e.g. env=prod,!canary.")
        String selector;

        @Option(names = "--status", paramLabel = "STATUS", description = "Only agents that are online, offline or pending.")
        String status;

        @Option(names = "--revoked", arity = "1", paramLabel = "true|false", description = "Only revoked agents (true) or the others (false).")
        Boolean revoked;

        @Option(names = {"-q", "--query"}, paramLabel = "TEXT", description = "Only agents whose name contains TEXT (any case).")
        String query;

        @Option(names = "--limit", paramLabel = "N", description = "Show at most N agents (default: all).")
        Integer limit;

        @Override
        public Integer call() {
            if (limit != null && limit < 1) {
                throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
            }
            if (status != null && !STATUSES.contains(status)) {
                throw new IllegalArgumentException("--status must be one of " + String.join(", ", STATUSES)
                        + ", got '" + status + "'" + ("revoked".equals(status) ? "; for revoked agents use --revoked true" : ""));
            }
            PrintWriter out = spec.commandLine().getOut();
            JsonObject body = fetch(api.client());
            if (api.json()) {
                out.println(body.encodePrettily());
                return 0;
            }
            JsonArray agents = body.getJsonArray("agents", new JsonArray());
            Table table = new Table("NAME", "ID", "STATUS", "HOSTNAME", "OS/ARCH", "VERSION", "LAST SEEN", "LABELS");
            for (int i = 0; i < agents.size(); i++) {
                JsonObject a = agents.getJsonObject(i);
                String platform = a.getString("os") == null ? null : a.getString("os") + "/" + a.getString("arch");
                table.row(a.getString("name"), a.getString("id"), status(a), a.getString("hostname"), platform,
                        a.getString("agent_version"), a.getString("last_seen"), labels(a.getJsonObject("labels")));
            }
            table.lines().forEach(out::println);
            long online = agents.stream().filter(o -> "online".equals(((JsonObject) o).getString("status"))).count();
            out.println();
            out.println(agents.size() + (agents.size() == 1 ? " agent, " : " agents, ") + online + " online"
                    + (body.getValue("next_before") == null ? "" : " (more: raise --limit)"));
            return 0;
        }

        /** Follows next_before until the last page or --limit agents; next_before stays set when more are left. */
        private JsonObject fetch(ApiClient client) {
            JsonArray all = new JsonArray();
            String before = null;
            do {
                int wanted = limit == null ? PAGE : Math.min(PAGE, limit - all.size());
                JsonObject page = client.get("/api/v1/agents?" + query(wanted, before));
                page.getJsonArray("agents", new JsonArray()).forEach(all::add);
                before = page.getString("next_before");
            } while (before != null && (limit == null || all.size() < limit));
            return new JsonObject().put("agents", all).put("next_before", before);
        }

        private String query(int wanted, String before) {
            StringBuilder query = new StringBuilder("limit=").append(wanted);
            append(query, "before", before);
            append(query, "selector", selector);
            append(query, "status", status);
            append(query, "revoked", revoked == null ? null : revoked.toString());
            append(query, "q", this.query);
            return query.toString();
        }

        private static void append(StringBuilder query, String name, String value) {
            if (value != null) {
                query.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }
    }

    @Command(name = "label", description = {"Change an agent's labels: KEY=VALUE sets one, KEY- removes one;",
            "the others are kept."})
    static final class Label implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "AGENT", description = "Agent id or name.")
        String agent;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE|KEY-", description = "Labels to set or remove.")
        List<String> changes;

        @Override
        public Integer call() {
            JsonObject result = api.client().patch(path(agent), new JsonObject().put("labels", changes(changes)));
            spec.commandLine().getOut().println(api.json() ? result.encodePrettily()
                    : result.getString("name") + ": " + labels(result.getJsonObject("labels")));
            return 0;
        }

        static JsonObject changes(List<String> changes) {
            JsonObject labels = new JsonObject();
            for (String change : changes) {
                int eq = change.indexOf('=');
                if (eq > 0) {
                    labels.put(change.substring(0, eq), change.substring(eq + 1));
                } else if (eq < 0 && change.length() > 1 && change.endsWith("-")) {
                    labels.putNull(change.substring(0, change.length() - 1));
                } else {
                    throw new IllegalArgumentException("invalid label change '" + change
                            + "': write KEY=VALUE to set a label or KEY- to remove it, e.g. env=prod canary-");
                }
            }
            return labels;
        }
    }

    @Command(name = "delete", description = {"Delete a revoked agent with its jobs, events and shell sessions.",
            "Revoke it first; an agent with unfinished jobs is refused."})
    static final class Delete implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "AGENT", description = "Agent id or name.")
        String agent;

        @Override
        public Integer call() {
            JsonObject result = api.client().delete(path(agent));
            spec.commandLine().getOut().println(api.json() ? result.encodePrettily() : "deleted " + agent);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one agent.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "AGENT", description = "Agent id or name.")
        String agent;

        @Override
        public Integer call() {
            JsonObject a = api.client().get(path(agent));
            if (api.json()) {
                System.out.println(a.encodePrettily());
                return 0;
            }
            for (Map.Entry<String, Object> field : a) {
                Object value = field.getValue();
                String text = value instanceof JsonObject o ? labels(o) : value instanceof JsonArray arr
                        ? arr.stream().map(String::valueOf).collect(Collectors.joining(", ")) : String.valueOf(value);
                System.out.printf("%-18s %s%n", field.getKey() + ":", text);
            }
            return 0;
        }
    }

    @Command(name = "create", description = {"Create an agent and print its key (shown once).",
            "With --key-file the key is written to that file (mode 0600) instead of printed."})
    static final class Create implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "NAME", description = "Agent name: 1-63 of A-Z a-z 0-9 . _ -")
        String name;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label (repeatable).")
        List<String> labels = new ArrayList<>();

        @Option(names = "--key-file", paramLabel = "FILE", description = "Write the key to this file (0600).")
        Path keyFile;

        @Override
        public Integer call() throws IOException {
            JsonObject request = new JsonObject().put("name", name).put("labels", new JsonObject(
                    new java.util.LinkedHashMap<>(Labels.parse(labels))));
            if (keyFile != null && Files.exists(keyFile)) {
                throw new IllegalArgumentException(keyFile + " already exists: choose another --key-file");
            }
            JsonObject created = api.client().post("/api/v1/agents", request);
            if (keyFile != null) {
                Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(keyFile, created.getString("key") + "\n");
            }
            if (api.json()) {
                System.out.println(created.encodePrettily());
            } else if (keyFile != null) {
                System.out.println("created agent " + created.getString("name") + " (" + created.getString("id")
                        + "); key written to " + keyFile);
            } else {
                System.out.println("created agent " + created.getString("name") + " (" + created.getString("id") + ")");
                System.out.println("key (shown once, keep it secret): " + created.getString("key"));
            }
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke an agent's key; its connection is closed at once.")
    static final class Revoke extends AgentAction {
        Revoke() {
            super("revoke", "revoked ", "");
        }
    }

    @Command(name = "approve", description = "Approve an agent that enrolled with a token requiring approval.")
    static final class Approve extends AgentAction {
        Approve() {
            super("approve", "approved ", ": it connects at its next attempt");
        }
    }

    @Command(name = "reject", description = "Reject an agent waiting for approval; its key stops working.")
    static final class Reject extends AgentAction {
        Reject() {
            super("reject", "rejected ", "");
        }
    }

    /** {@code POST /api/v1/agents/{agent}/<action>} with an empty body, and one line saying it was done. */
    abstract static class AgentAction implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "AGENT", description = "Agent id or name.")
        String agent;

        private final String action;
        private final String done;
        private final String after;

        AgentAction(String action, String done, String after) {
            this.action = action;
            this.done = done;
            this.after = after;
        }

        @Override
        public Integer call() {
            JsonObject result = api.client().post(path(agent) + "/" + action, new JsonObject());
            System.out.println(api.json() ? result.encodePrettily() : done + agent + after);
            return 0;
        }
    }

    @Command(name = "config", description = {"Show an agent's configuration, or set it with --set.",
            "The new version is pushed live, or delivered when the agent reconnects."})
    static final class Config implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "AGENT", description = "Agent id or name.")
        String agent;

        @Option(names = "--set", paramLabel = "FILE", description = "JSON file with the new configuration ('-' for stdin).")
        String set;

        @Override
        public Integer call() throws IOException {
            ApiClient client = api.client();
            JsonObject config = set == null ? client.get(path(agent) + "/config")
                    : client.put(path(agent) + "/config", readJson(set));
            if (api.json()) {
                System.out.println(config.encodePrettily());
                return 0;
            }
            System.out.println("version:  " + config.getValue("version"));
            System.out.println("applied:  " + config.getValue("applied")
                    + " (agent has version " + config.getValue("applied_version") + ")");
            Object body = config.getValue("config");
            System.out.println(body instanceof JsonObject o ? o.encodePrettily() : String.valueOf(body));
            return 0;
        }

        private static String readJson(String source) throws IOException {
            if ("-".equals(source)) {
                return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Path file = Path.of(source);
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("cannot read " + file + ": give a JSON file, or - for stdin");
            }
            return Files.readString(file);
        }
    }

    @Command(name = "events", description = "Show an agent's events, newest first.")
    static final class Events implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "AGENT", description = "Agent id or name.")
        String agent;

        @Option(names = "--type", paramLabel = "TYPE", description = "Only events of this type.")
        String type;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N events (default 50).")
        int limit;

        @Override
        public Integer call() {
            String query = "?limit=" + limit + (type == null ? "" : "&type=" + URLEncoder.encode(type, StandardCharsets.UTF_8));
            JsonObject body = api.client().get(path(agent) + "/events" + query);
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            Table table = new Table("ID", "TIME", "TYPE", "PAYLOAD");
            JsonArray events = body.getJsonArray("events", new JsonArray());
            for (int i = 0; i < events.size(); i++) {
                JsonObject e = events.getJsonObject(i);
                table.row(e.getValue("id"), e.getString("occurred_at"), e.getString("type"), String.valueOf(e.getValue("payload")));
            }
            table.print(System.out);
            return 0;
        }
    }

    private static String status(JsonObject agent) {
        return Boolean.TRUE.equals(agent.getBoolean("revoked")) ? "revoked" : agent.getString("status");
    }

    static String labels(JsonObject labels) {
        if (labels == null || labels.isEmpty()) {
            return "-";
        }
        List<String> pairs = new ArrayList<>();
        labels.forEach(e -> pairs.add(e.getKey() + "=" + e.getValue()));
        return String.join(",", pairs);
    }
}
