package dev.tether.cli.ops;

import dev.tether.cli.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tether users ...} and {@code tether tokens ...}: operators and their tokens. */
public final class UsersCommand {

    private UsersCommand() {
    }

    @Command(name = "users", mixinStandardHelpOptions = true, description = "Manage operators (admin only).",
            subcommands = {Create.class, Ls.class, Disable.class})
    public static final class Users {
    }

    @Command(name = "create", description = "Create a user; the password is asked for (or read with --password-stdin).")
    static final class Create implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "NAME", description = "User name.")
        String name;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "viewer, operator or admin.")
        String role;

        @Option(names = "--scope", paramLabel = "SELECTOR", description = "For an operator: the agents they may act "
                + "on, as a label selector such as env=staging.")
        String scope;

        @Option(names = "--password-stdin", description = "Read the password from stdin instead of asking.")
        boolean passwordStdin;

        @Override
        public Integer call() throws IOException {
            String password = Passwords.read(passwordStdin, "Password for " + name + ": ");
            JsonObject created = api.client().post("/api/v1/users", new JsonObject().put("name", name).put("role", role)
                    .put("scope", scope).put("password", password));
            System.out.println(api.json() ? created.encodePrettily() : "created " + created.getString("role") + " "
                    + name + (scope == null ? "" : " (scope " + scope + ")"));
            return 0;
        }
    }

    @Command(name = "ls", description = "List users.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            JsonObject body = api.client().get("/api/v1/users");
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            JsonArray users = body.getJsonArray("users", new JsonArray());
            Table table = new Table("NAME", "ROLE", "SCOPE", "CREATED", "DISABLED");
            for (int i = 0; i < users.size(); i++) {
                JsonObject u = users.getJsonObject(i);
                table.row(u.getString("name"), u.getString("role"), u.getString("scope"), u.getString("created_at"),
                        u.getString("disabled_at"));
            }
            table.print(System.out);
            return 0;
        }
    }

    @Command(name = "disable", description = "Disable a user: their tokens stop working at once.")
    static final class Disable implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "NAME", description = "User name.")
        String name;

        @Override
        public Integer call() {
            api.client().post("/api/v1/users/" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/disable",
                    new JsonObject());
            System.out.println("disabled " + name);
            return 0;
        }
    }

    @Command(name = "tokens", mixinStandardHelpOptions = true, description = "Your personal API tokens.",
            subcommands = {TokenCreate.class, TokenLs.class, TokenRevoke.class})
    public static final class Tokens {
    }

    @Command(name = "create", description = "Create a token for scripts (shown once).")
    static final class TokenCreate implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "cli", description = "What it is for.")
        String name;

        @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "30d", converter = Durations.class,
                description = "How long it lasts (default 30d).")
        Duration ttl;

        @Override
        public Integer call() {
            JsonObject issued = api.client().post("/api/v1/tokens", new JsonObject().put("name", name)
                    .put("ttl_s", ttl.toSeconds()));
            System.out.println(api.json() ? issued.encodePrettily() : "token " + issued.getString("id")
                    + " (expires " + issued.getString("expires_at") + ", shown once): " + issued.getString("token"));
            return 0;
        }
    }

    @Command(name = "ls", description = "List your tokens.")
    static final class TokenLs implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            JsonObject body = api.client().get("/api/v1/tokens");
            if (api.json()) {
                System.out.println(body.encodePrettily());
                return 0;
            }
            JsonArray tokens = body.getJsonArray("tokens", new JsonArray());
            Table table = new Table("ID", "NAME", "CREATED", "EXPIRES", "REVOKED");
            for (int i = 0; i < tokens.size(); i++) {
                JsonObject t = tokens.getJsonObject(i);
                table.row(t.getString("id"), t.getString("name"), t.getString("created_at"), t.getString("expires_at"),
                        t.getString("revoked_at"));
            }
            table.print(System.out);
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke one of your tokens.")
    static final class TokenRevoke implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "Token id (tok_...).")
        String id;

        @Override
        public Integer call() {
            api.client().post("/api/v1/tokens/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/revoke",
                    new JsonObject());
            System.out.println("revoked " + id);
            return 0;
        }
    }
}
