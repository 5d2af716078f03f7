package dev.tether.server.auth;

import dev.tether.server.store.AdminTokenStore;
import dev.tether.server.store.AdminTokenStore.StoredToken;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The admin tokens the REST API accepts, and how they are set up at start.
 *
 * <p>Policy, applied on every start:
 * <ul>
 *   <li>a token generated on a first start stays valid until rotated; it is
 *       printed once, and only its hash is kept;</li>
 *   <li>{@code TETHER_ADMIN_TOKEN}, when given, is the only admin token: its hash
 *       is stored as source {@code env} and every other token (a generated one
 *       included) is forgotten;</li>
 *   <li>{@code --rotate-admin-token} forgets every token and issues a new one:
 *       {@code TETHER_ADMIN_TOKEN} when given, else a new dev token in dev mode,
 *       else a new generated token, printed once;</li>
 *   <li>in dev mode without it, the token lives in {@code <data-dir>/admin.token}
 *       (0600) so it can be printed on each start (source {@code dev});</li>
 *   <li>env and dev tokens of earlier starts that no longer apply are forgotten.</li>
 * </ul>
 * Browser sessions signed in with a forgotten token end when the server starts
 * ({@link BrowserSessions#load}).
 *
 * <p>Verification is in memory and constant time per stored hash. Immutable
 * after {@link #setUp}; thread safe.
 */
public final class AdminTokens {

    public static final String DEV_TOKEN_FILE = "admin.token";
    private static final String GENERATED = "generated";
    private static final String ENV = "env";
    private static final String DEV = "dev";

    private final List<String> hashes;
    private final String devToken;

    private AdminTokens(List<String> hashes, String devToken) {
        this.hashes = List.copyOf(hashes);
        this.devToken = devToken;
    }

    /** Applies the policy above; prints a newly generated token to {@code console}. */
    public static AdminTokens setUp(AdminTokenStore store, Path dataDir, String envToken, boolean dev,
            boolean rotate, PrintStream console) throws IOException {
        long now = System.currentTimeMillis();
        String shown = null;
        if (rotate) {
            forgetAll(store, dataDir);
        }
        if (envToken != null) {
            store.replace(ENV, Secrets.hash(envToken), now);
            store.removeSource(DEV);
            store.removeSource(GENERATED);
            shown = dev ? envToken : null;
        } else if (dev) {
            shown = devToken(dataDir.resolve(DEV_TOKEN_FILE));
            store.replace(DEV, Secrets.hash(shown), now);
            store.removeSource(ENV);
        } else {
            store.removeSource(ENV);
            store.removeSource(DEV);
            if (store.all().stream().noneMatch(token -> token.source().equals(GENERATED))) {
                String token = Secrets.newAdminToken();
                store.replace(GENERATED, Secrets.hash(token), now);
                printOnce(console, token);
            }
        }
        return new AdminTokens(store.all().stream().map(StoredToken::hash).toList(), shown);
    }

    /** Forgets every stored token and the dev token file, so none of them is accepted again. */
    private static void forgetAll(AdminTokenStore store, Path dataDir) throws IOException {
        for (String source : new String[] {GENERATED, ENV, DEV}) {
            store.removeSource(source);
        }
        Files.deleteIfExists(dataDir.resolve(DEV_TOKEN_FILE));
    }

    /** Whether {@code presented} is a valid admin token. */
    public boolean accepts(String presented) {
        if (presented == null) {
            return false;
        }
        String hash = Secrets.hash(presented);
        boolean match = false;
        for (String candidate : hashes) {
            // No early exit: the time taken does not tell which token matched.
            match |= Secrets.hashesEqual(candidate, hash);
        }
        return match;
    }

    /** Whether a token with this SHA-256 ({@link Secrets#hash}) is still accepted: for sessions signed in with it. */
    public boolean acceptsHash(String hash) {
        boolean match = false;
        for (String candidate : hashes) {
            match |= Secrets.hashesEqual(candidate, hash);
        }
        return match;
    }

    /** The token to print in dev mode, null outside it. */
    public String devToken() {
        return devToken;
    }

    private static String devToken(Path file) throws IOException {
        String token = SecretFile.read(file);
        if (token == null) {
            token = Secrets.newAdminToken();
            SecretFile.write(file, token);
        }
        return token;
    }

    private static void printOnce(PrintStream console, String token) {
        console.println();
        console.println("Admin token (save this, it will not be shown again):");
        console.println();
        console.println("    " + token);
        console.println();
        console.println("Use it as 'Authorization: Bearer <token>' on /api/v1, or set TETHER_ADMIN_TOKEN for the CLI.");
        console.println("Only its SHA-256 is stored; if it is lost, start the server with TETHER_ADMIN_TOKEN set.");
        console.println();
        console.flush();
    }
}
