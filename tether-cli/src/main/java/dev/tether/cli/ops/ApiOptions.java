package dev.tether.cli.ops;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the server is and how to authenticate: options shared by every operator command. */
public final class ApiOptions {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    static final String TOKEN_ENV = "TETHER_TOKEN";
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

    /** Refused when given: a token on the command line is visible to every user of the host ({@code ps}). */
    @Option(names = "--token", paramLabel = "TOKEN", hidden = true)
    String token;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the API token (else env " + TOKEN_ENV + "; else the one tether login kept; "
                    + "else, with a local --dev server, ./tether-data/admin.token).")
    Path tokenFile;

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
        refuseTokenArgument();
        return new ApiClient(base(), null);
    }

    private URI base() {
        return URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    /** --token-file, else $TETHER_TOKEN, else the login store, else a local dev server's admin token. */
    private String resolveToken() {
        refuseTokenArgument();
        if (tokenFile != null) {
            return fromFile(tokenFile, "--token-file " + tokenFile + " does not exist");
        }
        String fromEnv = System.getenv(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        for (Path file : new Path[] {loginTokenFile(), DEV_TOKEN_FILE}) {
            if (Files.isReadable(file)) {
                return fromFile(file, "cannot read " + file);
            }
        }
        throw new IllegalArgumentException("no API token: sign in with tether login, set " + TOKEN_ENV
                + " or pass --token-file FILE (the server printed the admin token on its first start)");
    }

    private void refuseTokenArgument() {
        if (token != null) {
            throw new IllegalArgumentException("--token is refused: a token on the command line is visible to every "
                    + "user of this host (ps) and kept in shell history. Put it in a file and pass --token-file FILE, "
                    + "set " + TOKEN_ENV + ", or sign in once with tether login");
        }
    }

    private static String fromFile(Path file, String missing) {
        try {
            String read = Files.readString(file).strip();
            if (read.isEmpty()) {
                throw new IllegalArgumentException("token file " + file + " is empty: put the API token in it");
            }
            return read;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(missing);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
