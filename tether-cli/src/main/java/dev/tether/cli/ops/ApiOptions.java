package dev.tether.cli.ops;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the server is and how to authenticate: options shared by every operator command. */
public final class ApiOptions {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    /** Written by {@code tether server --dev}; used when nothing else names a token. */
    static final Path DEV_TOKEN_FILE = Path.of("tether-data", "admin.token");

    /** Written by {@code tether login}: the signed-in user's personal token. */
    public static Path loginTokenFile() {
        String config = System.getenv("XDG_CONFIG_HOME");
        Path base = config != null && !config.isBlank() ? Path.of(config)
                : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("tether").resolve("token");
    }

    @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:TETHER_URL:-" + DEFAULT_URL + "}",
            description = "Server URL (env TETHER_URL, default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:TETHER_TOKEN}",
            description = "API token (env TETHER_TOKEN; else the one tether login kept; else, with a local --dev server, ./tether-data/admin.token).")
    String token;

    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    boolean json;

    public boolean json() {
        return json;
    }

    public ApiClient client() {
        return new ApiClient(base(), resolveToken());
    }

    /** A client without a token, for signing in. */
    public ApiClient anonymousClient() {
        return new ApiClient(base(), null);
    }

    private URI base() {
        return URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    private String resolveToken() {
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        Path login = loginTokenFile();
        if (Files.isReadable(login)) {
            try {
                return Files.readString(login).strip();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + login + ": " + e.getMessage());
            }
        }
        if (Files.isReadable(DEV_TOKEN_FILE)) {
            try {
                return Files.readString(DEV_TOKEN_FILE).strip();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + DEV_TOKEN_FILE + ": " + e.getMessage());
            }
        }
        throw new IllegalArgumentException("no API token: sign in with tether login, set TETHER_TOKEN or pass --token "
                + "(the server printed the admin token on its first start)");
    }
}
