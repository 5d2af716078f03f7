package dev.tether.agent;

import dev.tether.agent.process.RunAs;
import dev.tether.protocol.Limits;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What an agent needs to run. Validated on construction, with messages that say
 * what to change; the key never appears in a message or in {@link #toString()}.
 *
 * @param servers the base URLs of the server's nodes, at least one, each {@code https://host[:port][/prefix]}
 *     ({@code wss://} is accepted too; {@code http://} and {@code ws://} only with {@code insecure}); the agent
 *     tries them in its own shuffled order (see {@code ServerRotation}); never null, copied, no server twice
 * @param key the agent key, sent as {@code Authorization: Bearer} on the upgrade
 * @param stateDir where the agent keeps {@code agent.db} and its config files; created 0700 if missing
 * @param labels labels the agent reports in Hello (never null; copied)
 * @param insecure allow a plain-text server URL
 * @param backoff reconnect backoff (never null; {@link Backoff#defaults()} when not given)
 * @param shell remote shells (never null; {@link ShellSettings#disabled()} when not given)
 * @param caFile PEM certificates of the CA that signed the server's certificate, trusted instead of the JDK's
 *     public roots; null to use those roots
 * @param acceptMovedState run on a state dir written on another machine (its {@code /etc/machine-id} differs)
 *     and make it this machine's; without it such a state dir is refused (see {@code StateStore#claimHost})
 * @param runAs the user jobs and shells run as ({@code --run-as}), or null for the agent's own
 */
public record AgentConfig(List<URI> servers, String key, Path stateDir, Map<String, String> labels, boolean insecure,
        Backoff backoff, ShellSettings shell, Path caFile, boolean acceptMovedState, RunAs runAs) {

    private static final Set<String> SECURE_SCHEMES = Set.of("https", "wss");
    private static final Set<String> PLAIN_SCHEMES = Set.of("http", "ws");
    private static final int MAX_LABEL_LENGTH = 256;

    public AgentConfig {
        servers = checkServers(servers, insecure);
        checkKey(key);
        if (stateDir == null) {
            throw new IllegalArgumentException("a state dir is required (--state-dir): the agent keeps its "
                    + "identity and undelivered events there");
        }
        labels = checkLabels(labels == null ? Map.of() : labels);
        backoff = backoff == null ? Backoff.defaults() : backoff;
        shell = shell == null ? ShellSettings.disabled() : shell;
        if (caFile != null && !java.nio.file.Files.isReadable(caFile)) {
            throw new IllegalArgumentException("--ca-file " + caFile + " does not exist or is not readable");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The WebSocket URLs the agent dials, one per server, in the order given (see {@link #connectUri(URI)}). */
    public List<URI> connectUris() {
        return servers.stream().map(AgentConfig::connectUri).toList();
    }

    /**
     * The WebSocket URL the agent dials for a server: its URL with http mapped to ws,
     * https to wss, and {@code /v1/agents/connect} appended to its path.
     */
    public static URI connectUri(URI server) {
        String scheme = switch (server.getScheme().toLowerCase(Locale.ROOT)) {
            case "http", "ws" -> "ws";
            default -> "wss";
        };
        String path = server.getRawPath() == null ? "" : server.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String port = server.getPort() < 0 ? "" : ":" + server.getPort();
        return URI.create(scheme + "://" + server.getHost() + port + path + "/v1/agents/connect");
    }

    @Override
    public String toString() {
        return "AgentConfig[servers=" + servers + ", key=<masked>, stateDir=" + stateDir + ", labels=" + labels
                + ", insecure=" + insecure + ", backoff=" + backoff + ", shell=" + shell + ", caFile=" + caFile
                + ", acceptMovedState=" + acceptMovedState
                + ", runAs=" + (runAs == null ? "(agent's user)" : runAs.user()) + "]";
    }

    /**
     * Validates the server URLs, each as {@code --server} would be; a server given twice (after mapping
     * http to ws, https to wss and dropping a trailing slash) is refused.
     *
     * @return an unmodifiable copy
     * @throws IllegalArgumentException naming the URL at fault and what to write instead
     */
    public static List<URI> checkServers(List<URI> servers, boolean insecure) {
        if (servers == null || servers.isEmpty()) {
            throw new IllegalArgumentException("a server URL is required (--server https://tether.example.com)");
        }
        Map<URI, URI> seen = new LinkedHashMap<>();
        for (int i = 0; i < servers.size(); i++) {
            URI server = servers.get(i);
            checkServer(server, insecure, servers.size() == 1 ? "" : " #" + (i + 1));
            URI earlier = seen.putIfAbsent(connectUri(server), server);
            if (earlier != null) {
                throw new IllegalArgumentException("server URL '" + server + "' names the same server as '" + earlier
                        + "': give each server once (--server URL, repeatable)");
            }
        }
        return List.copyOf(servers);
    }

    private static void checkServer(URI server, boolean insecure, String position) {
        if (server == null) {
            throw new IllegalArgumentException("server URL" + position + " is empty: "
                    + "expected something like https://tether.example.com");
        }
        String scheme = server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT);
        if (!SECURE_SCHEMES.contains(scheme) && !PLAIN_SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("server URL '" + server + "' must start with https:// "
                    + "(or wss://, or http:// and ws:// with --insecure)");
        }
        if (server.getHost() == null || server.getHost().isEmpty()) {
            throw new IllegalArgumentException("server URL '" + server + "' has no host; "
                    + "expected something like https://tether.example.com:8443");
        }
        if (server.getRawUserInfo() != null) {
            // Printing the URL would print the credentials, so this message does not.
            throw new IllegalArgumentException("the server URL" + position + " must not contain a user or password; "
                    + "the agent authenticates with its key");
        }
        if (server.getRawQuery() != null || server.getRawFragment() != null) {
            throw new IllegalArgumentException("server URL '" + server + "' must not have a query or fragment");
        }
        if (PLAIN_SCHEMES.contains(scheme) && !insecure) {
            throw new IllegalArgumentException("plain " + scheme + ":// sends the agent key unencrypted; "
                    + "use https:// or pass --insecure");
        }
    }

    private static void checkKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("the agent key is empty: pass --key-file or set TETHER_AGENT_KEY");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new IllegalArgumentException("the agent key contains whitespace or control characters "
                        + "(at position " + i + "); the key file must hold only the key");
            }
        }
    }

    private static Map<String, String> checkLabels(Map<String, String> labels) {
        Map<String, String> copy = new TreeMap<>();
        labels.forEach((name, value) -> {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("label names must not be empty (--label name=value)");
            }
            if (value == null) {
                throw new IllegalArgumentException("label '" + name + "' has no value (--label name=value)");
            }
            if (name.length() > MAX_LABEL_LENGTH || value.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("label '" + abbreviate(name) + "' is longer than "
                        + MAX_LABEL_LENGTH + " characters");
            }
            copy.put(name, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** Builds an {@link AgentConfig}; {@link #build()} validates. Not thread safe. */
    public static final class Builder {

        private List<URI> servers = List.of();
        private String key;
        private Path stateDir;
        private final Map<String, String> labels = new LinkedHashMap<>();
        private boolean insecure;
        private Path caFile;
        private Backoff backoff = Backoff.defaults();
        private boolean shellEnabled;
        private String shellProgram;
        private int maxShells = Limits.DEFAULT_MAX_SHELL_SESSIONS;
        private Duration shellIdleTimeout = Limits.DEFAULT_SHELL_IDLE_TIMEOUT;
        private int shellScrollbackBytes = Limits.DEFAULT_SHELL_SCROLLBACK_BYTES;
        private boolean acceptMovedState;
        private RunAs runAs;

        private Builder() {
        }

        /** The one server (a single node); replaces any given before. */
        public Builder server(URI server) {
            this.servers = server == null ? List.of() : List.of(server);
            return this;
        }

        /**
         * The one server (a single node); replaces any given before.
         *
         * @throws IllegalArgumentException when {@code server} is not a URI
         */
        public Builder server(String server) {
            return server(server == null ? null : parse(server));
        }

        /** The server's nodes, tried in a shuffled order; replaces any given before. Validated by {@link #build()}. */
        public Builder servers(List<URI> servers) {
            this.servers = servers == null ? List.of() : new ArrayList<>(servers);
            return this;
        }

        private static URI parse(String server) {
            try {
                return new URI(server.trim());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("server URL '" + server + "' is not a valid URL: "
                        + e.getReason());
            }
        }

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder stateDir(Path stateDir) {
            this.stateDir = stateDir;
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            this.labels.clear();
            if (labels != null) {
                this.labels.putAll(labels);
            }
            return this;
        }

        public Builder label(String name, String value) {
            labels.put(name, value);
            return this;
        }

        public Builder insecure(boolean insecure) {
            this.insecure = insecure;
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        /** Serve remote shells (off by default); see {@link ShellSettings}. */
        public Builder enableShell(boolean enabled) {
            this.shellEnabled = enabled;
            return this;
        }

        /** The shell program when an open names no command; null (the default) for the user's login shell. */
        public Builder shellProgram(String program) {
            this.shellProgram = program;
            return this;
        }

        public Builder maxShells(int maxShells) {
            this.maxShells = maxShells;
            return this;
        }

        public Builder shellIdleTimeout(Duration idleTimeout) {
            this.shellIdleTimeout = idleTimeout;
            return this;
        }

        public Builder shellScrollbackBytes(int bytes) {
            this.shellScrollbackBytes = bytes;
            return this;
        }

        public AgentConfig build() {
            return new AgentConfig(servers, key, stateDir, labels, insecure, backoff,
                    new ShellSettings(shellEnabled, shellProgram, maxShells, shellIdleTimeout, shellScrollbackBytes),
                    caFile, acceptMovedState, runAs);
        }

        /** Accept a state dir written on another machine once, making it this machine's (off by default). */
        public Builder acceptMovedState(boolean accept) {
            this.acceptMovedState = accept;
            return this;
        }

        /**
         * Run jobs and shells as {@code user} (the agent must run as root); null: as the agent's user.
         *
         * @throws IllegalArgumentException when the user does not exist or the agent cannot switch to it
         */
        public Builder runAs(String user) {
            this.runAs = user == null ? null : RunAs.resolve(user);
            return this;
        }

        /** Trust the CA certificates in this PEM file instead of the JDK's public roots. */
        public Builder caFile(Path file) {
            this.caFile = file;
            return this;
        }
    }
}
