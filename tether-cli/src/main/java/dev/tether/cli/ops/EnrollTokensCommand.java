package dev.tether.cli.ops;

import dev.tether.cli.Durations;
import dev.tether.cli.Labels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tether enroll-tokens ...}: tokens a fleet joins with, one agent key per host issued by the server. */
@Command(name = "enroll-tokens", mixinStandardHelpOptions = true,
        description = "Create, list and revoke enrollment tokens (agents join with tether agent --enroll-token-file).",
        subcommands = {EnrollTokensCommand.Create.class, EnrollTokensCommand.Ls.class, EnrollTokensCommand.Revoke.class})
public final class EnrollTokensCommand {

    @Command(name = "create", description = "Create a token and print it (shown once), or write it to --enroll-token-file.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label every agent enrolled with it gets "
                + "(repeatable).")
        List<String> labels = new ArrayList<>();

        @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1d", converter = Durations.class,
                description = "How long the token can be used (default 1d).")
        Duration ttl;

        @Option(names = "--max-uses", paramLabel = "N", defaultValue = "1",
                description = "How many agents it may enrol; 0 for no limit (default 1).")
        long maxUses;

        @Option(names = "--require-approval", description = "Agents wait as pending until approved "
                + "(tether agents approve).")
        boolean requireApproval;

        @Option(names = "--description", paramLabel = "TEXT", description = "What the token is for.")
        String description;

        @Option(names = "--enroll-token-file", paramLabel = "FILE",
                description = "Write the token to this file (0600): the file an agent joins with (tether agent --enroll-token-file FILE).")
        Path tokenFile;

        @Override
        public Integer call() throws IOException {
            if (tokenFile != null && Files.exists(tokenFile)) {
                throw new IllegalArgumentException(tokenFile + " already exists: choose another --enroll-token-file");
            }
            JsonObject request = new JsonObject()
                    .put("labels", new JsonObject(new LinkedHashMap<>(Labels.parse(labels))))
                    .put("ttl_s", ttl.toSeconds())
                    .put("max_uses", maxUses)
                    .put("require_approval", requireApproval)
                    .put("description", description);
            JsonObject created = api.client().post("/api/v1/enrollment-tokens", request);
            if (tokenFile != null) {
                Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tokenFile, created.getString("token") + "\n");
            }
            if (api.json()) {
                System.out.println(created.encodePrettily());
            } else {
                System.out.println("created enrollment token " + created.getString("id") + " (expires "
                        + created.getString("expires_at") + ", max uses " + (maxUses == 0 ? "unlimited" : maxUses)
                        + (requireApproval ? ", agents need approval" : "") + ")");
                System.out.println(tokenFile != null ? "token written to " + tokenFile
                        : "token (shown once, keep it secret): " + created.getString("token"));
                System.out.println("join with: tether agent --server URL --enroll-token-file FILE --state-dir DIR");
            }
            return 0;
        }
    }

    @Command(name = "ls", description = "List enrollment tokens, newest first.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            JsonObject body = api.client().get("/api/v1/enrollment-tokens");
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            JsonArray tokens = body.getJsonArray("tokens", new JsonArray());
            if (tokens.isEmpty()) {
                System.out.println("no enrollment tokens: create one with tether enroll-tokens create");
                return 0;
            }
            Table table = new Table("ID", "STATE", "USES", "APPROVAL", "EXPIRES", "LABELS", "DESCRIPTION");
            for (int i = 0; i < tokens.size(); i++) {
                JsonObject t = tokens.getJsonObject(i);
                long max = t.getLong("max_uses");
                table.row(t.getString("id"), t.getString("state"), t.getLong("uses") + "/" + (max == 0 ? "∞" : max),
                        t.getBoolean("require_approval") ? "required" : "-", t.getString("expires_at"),
                        AgentsCommand.labels(t.getJsonObject("labels")), t.getString("description"));
            }
            table.print(System.out);
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a token: agents can no longer enrol with it (enrolled ones keep "
            + "their keys).")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "Token id (etk_...).")
        String id;

        @Override
        public Integer call() {
            JsonObject result = api.client().post("/api/v1/enrollment-tokens/"
                    + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/revoke", new JsonObject());
            System.out.println(api.json() ? result.encodePrettily() : "revoked " + id);
            return 0;
        }
    }
}
