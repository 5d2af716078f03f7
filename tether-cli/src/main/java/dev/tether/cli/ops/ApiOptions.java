package dev.tether.cli.ops;

import dev.tether.agent.tls.TrustedCa;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where the server is, how to authenticate and whom to trust: options shared by every operator command.
 *
 * <p>Each setting is taken from the first of: its flag, its environment variable, the profile, a default. The
 * profile ({@code --profile}, else {@code TETHER_PROFILE}, else {@code default}) is used only for its own server:
 * when {@code --url} or {@code TETHER_URL} names another one (see {@link ServerUrl#same}), neither the profile's
 * token nor its CA file is used, so a token is never sent to a server it was not issued by.
 */
public final class ApiOptions {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    static final String URL_ENV = "TETHER_URL";
    static final String TOKEN_ENV = "TETHER_TOKEN";
    static final String CA_FILE_ENV = "TETHER_CA_FILE";
    /** Written by {@code tether server --dev}; used when nothing else names a token. */
    static final Path DEV_TOKEN_FILE = Path.of("tether-data", "admin.token");

    @Mixin
    ProfileOption profiles;

    @Option(names = "--url", paramLabel = "URL",
            description = "Server URL (else env " + URL_ENV + "; else the profile's; else " + DEFAULT_URL + ").")
    String url;

    /** Refused when given: a token on the command line is visible to every user of the host ({@code ps}). */
    @Option(names = "--token", paramLabel = "TOKEN", hidden = true)
    String token;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the API token (else env " + TOKEN_ENV + "; else the profile's, for its own "
                    + "server only; else, with a local --dev server, ./tether-data/admin.token).")
    Path tokenFile;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "Trust only the CA certificates in this PEM file for https (else env " + CA_FILE_ENV
                    + "; else the profile's; else the JDK's public roots).")
    Path caFile;

    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    boolean json;

    /** A CA file and where it was given, for error messages. */
    record CaFile(Path file, String source) {
        SSLContext context() {
            return TrustedCa.sslContext(file, source);
        }
    }

    public boolean json() {
        return json;
    }

    public ApiClient client() {
        refuseTokenArgument();
        Optional<Profile> profile = profiles.find();
        URI base = url(profile);
        Optional<Profile> forThisServer = profile.filter(p -> ServerUrl.same(base, ServerUrl.parse(p.url(), "")));
        return client(base, resolveToken(base, profile, forThisServer), caFile(forThisServer));
    }

    /** A client without a token of {@code base}, for signing in. */
    ApiClient anonymousClient(URI base, CaFile ca) {
        refuseTokenArgument();
        return client(base, null, ca);
    }

    private static ApiClient client(URI base, String token, CaFile ca) {
        return new ApiClient(base, token, ca == null ? null : ca.context(), ca == null ? null : ca.source() + " "
                + ca.file());
    }

    /** --url, else $TETHER_URL, else the profile's, else {@value #DEFAULT_URL}. */
    URI url(Optional<Profile> profile) {
        if (url != null) {
            return ServerUrl.parse(url, "--url");
        }
        String fromEnv = profiles.env(URL_ENV);
        if (fromEnv != null) {
            return ServerUrl.parse(fromEnv, URL_ENV);
        }
        return profile.map(p -> ServerUrl.parse(p.url(), "the url of profile " + p.name()))
                .orElse(URI.create(DEFAULT_URL));
    }

    /** Whether --url or $TETHER_URL names the server (rather than a profile or the default). */
    boolean urlGiven() {
        return url != null || profiles.env(URL_ENV) != null;
    }

    /** --ca-file, else $TETHER_CA_FILE, else the CA file of the profile (for its own server); null: none. */
    CaFile caFile(Optional<Profile> forThisServer) {
        if (caFile != null) {
            return new CaFile(caFile.toAbsolutePath(), "--ca-file");
        }
        String fromEnv = profiles.env(CA_FILE_ENV);
        if (fromEnv != null) {
            return new CaFile(Path.of(fromEnv).toAbsolutePath(), CA_FILE_ENV);
        }
        return forThisServer.filter(p -> p.caFile() != null)
                .map(p -> new CaFile(p.caFile(), "the ca_file of profile " + p.name())).orElse(null);
    }

    /**
     * --token-file, else $TETHER_TOKEN, else the profile's token (for its own server), else the token file of an
     * older tether login (when no profile is saved), else a local dev server's admin token.
     */
    private String resolveToken(URI base, Optional<Profile> profile, Optional<Profile> forThisServer) {
        if (tokenFile != null) {
            return fromFile(tokenFile, "--token-file " + tokenFile + " does not exist");
        }
        String fromEnv = profiles.env(TOKEN_ENV);
        if (fromEnv != null) {
            return fromEnv;
        }
        if (forThisServer.isPresent()) {
            return forThisServer.get().token();
        }
        Path legacy = profiles.store().legacyTokenFile();
        for (Path file : profile.isEmpty() ? new Path[] {legacy, DEV_TOKEN_FILE} : new Path[] {DEV_TOKEN_FILE}) {
            if (Files.isReadable(file)) {
                return fromFile(file, "cannot read " + file);
            }
        }
        throw profile.map(p -> otherServer(p, base)).orElseGet(() -> new IllegalArgumentException(
                "no API token: sign in with tether login URL, set " + TOKEN_ENV + " or pass --token-file FILE "
                        + "(the server printed the admin token on its first start)"));
    }

    private IllegalArgumentException otherServer(Profile profile, URI base) {
        return new IllegalArgumentException("no API token for " + base + ": profile " + profile.name() + " is for "
                + profile.url() + ", and its token is only sent there. Pass --token-file FILE or set " + TOKEN_ENV
                + ", or sign in to this server with tether login " + base + " --profile NAME");
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
