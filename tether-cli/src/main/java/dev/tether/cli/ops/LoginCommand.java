package dev.tether.cli.ops;

import dev.tether.cli.Durations;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether login}, {@code tether logout} and {@code tether profiles}: the servers an operator signed in to. */
public final class LoginCommand {

    private LoginCommand() {
    }

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = "Sign in as a user: the server's URL, the personal API token and the CA file trusted to "
                    + "reach it are saved as a profile ($XDG_CONFIG_HOME/tether/profiles/NAME.json, 0600), which "
                    + "later commands use when --url, --token-file and their environment variables are not set.")
    public static final class Login implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Parameters(arity = "0..1", paramLabel = "URL",
                description = "The server (else --url, TETHER_URL, the profile's URL, " + ApiOptions.DEFAULT_URL + ").")
        String server;

        @Option(names = "--user", required = true, paramLabel = "NAME", description = "User name.")
        String user;

        @Option(names = "--password-stdin", description = "Read the password from stdin instead of asking.")
        boolean passwordStdin;

        @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "30d", converter = Durations.class,
                description = "How long the token lasts (default 30d).")
        Duration ttl;

        @Override
        public Integer call() throws IOException {
            String name = api.profiles.name();
            ProfileStore store = api.profiles.store();
            Optional<Profile> previous = previous(store, name);
            URI base = server();
            if (base == null) {
                base = api.url(previous);
            }
            URI target = base;
            ApiOptions.CaFile ca = api.caFile(previous.filter(p -> ServerUrl.same(target, ServerUrl.parse(p.url(),
                    ""))));
            ApiClient client = api.anonymousClient(base, ca);
            String password = Passwords.read(passwordStdin, "Password for " + user + " on " + base + ": ");
            JsonObject issued = client.post("/api/v1/login", new JsonObject().put("user", user)
                    .put("password", password).put("ttl_s", ttl.toSeconds()).put("name", "tether login"));
            String token = issued.getString("token");
            if (token == null || token.isBlank()) {
                throw new ApiException(0, "the server at " + base + " answered the sign-in without a token");
            }
            Path file = store.save(new Profile(name, base.toString(), token, issued.getString("id"), user,
                    issued.getString("expires_at"), ca == null ? null : ca.file()));
            if (name.equals(Profile.DEFAULT)) {
                Files.deleteIfExists(store.legacyTokenFile());
            }
            spec.commandLine().getOut().println("signed in to " + base + " as " + user + " until "
                    + issued.getString("expires_at") + "; profile " + name + " kept in " + file);
            return 0;
        }

        /** The URL argument; null when not given. Refused when --url names another server. */
        private URI server() {
            if (server == null) {
                return null;
            }
            URI base = ServerUrl.parse(server, "URL");
            if (api.url != null && !ServerUrl.same(base, ServerUrl.parse(api.url, "--url"))) {
                throw new IllegalArgumentException("the URL " + server + " and --url " + api.url + " name different "
                        + "servers: give one");
            }
            return base;
        }

        /** The profile this login replaces; a corrupted one is replaced as if absent. */
        private static Optional<Profile> previous(ProfileStore store, String name) {
            try {
                return store.find(name);
            } catch (IllegalStateException corrupted) {
                return Optional.empty();
            }
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true,
            description = "Revoke the profile's token on its server (when it can be reached) and remove the profile.")
    public static final class Logout implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ProfileOption profiles;

        @Override
        public Integer call() throws IOException {
            String name = profiles.name();
            ProfileStore store = profiles.store();
            PrintWriter out = spec.commandLine().getOut();
            Optional<Profile> profile;
            try {
                profile = store.find(name);
            } catch (IllegalStateException corrupted) {
                store.remove(name);
                out.println("removed the corrupted profile file " + store.file(name));
                return 0;
            }
            if (profile.isEmpty()) {
                return signedOutWithoutProfile(store, out);
            }
            revoke(profile.get());
            store.remove(name);
            if (name.equals(Profile.DEFAULT)) {
                Files.deleteIfExists(store.legacyTokenFile());
            }
            out.println("signed out of " + profile.get().url() + ": profile " + name + " removed");
            return 0;
        }

        private int signedOutWithoutProfile(ProfileStore store, PrintWriter out) throws IOException {
            if (profiles.chosen()) {
                throw profiles.unknown(profiles.name());
            }
            out.println(Files.deleteIfExists(store.legacyTokenFile())
                    ? "signed out: removed the token an older tether login kept in " + store.legacyTokenFile()
                    : "not signed in");
            return 0;
        }

        /** Revokes the profile's token; when the server cannot be asked, says so and carries on. */
        private void revoke(Profile profile) {
            if (profile.tokenId() == null) {
                return;
            }
            try {
                ApiOptions.CaFile ca = profile.caFile() == null ? null
                        : new ApiOptions.CaFile(profile.caFile(), "the ca_file of profile " + profile.name());
                new ApiClient(ServerUrl.parse(profile.url(), "the url of profile " + profile.name()), profile.token(),
                        ca == null ? null : ca.context(), ca == null ? null : ca.source())
                        .post("/api/v1/tokens/" + URLEncoder.encode(profile.tokenId(), StandardCharsets.UTF_8)
                                + "/revoke", new JsonObject());
            } catch (ApiException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("tether: warning: the token was not revoked (" + e.getMessage()
                        + "); it stays valid until " + profile.expiresAt());
            }
        }
    }

    @Command(name = "profiles", mixinStandardHelpOptions = true,
            description = "List the profiles tether login saved, never their tokens; * marks the one commands use.")
    public static final class Profiles implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ProfileOption profiles;

        @Override
        public Integer call() {
            ProfileStore store = profiles.store();
            Table table = new Table("", "NAME", "URL", "USER", "EXPIRES", "CA FILE");
            String current = profiles.name();
            for (String name : store.names()) {
                String mark = name.equals(current) ? "*" : "";
                try {
                    store.find(name).ifPresent(p -> table.row(mark, name, p.url(), p.user(), p.expiresAt(),
                            p.caFile()));
                } catch (IllegalStateException corrupted) {
                    table.row(mark, name, "(corrupted: " + store.file(name) + ")", null, null, null);
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            if (store.names().isEmpty()) {
                out.println("no profiles in " + store.dir().resolve("profiles") + ": sign in with tether login URL");
            } else {
                table.lines().forEach(out::println);
            }
            if (Files.isRegularFile(store.legacyTokenFile())) {
                out.println("an older tether login's token is in " + store.legacyTokenFile() + " (used while no "
                        + "default profile is saved)");
            }
            return 0;
        }
    }
}
