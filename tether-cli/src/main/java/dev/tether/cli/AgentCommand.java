package dev.tether.cli;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.enroll.Enrollment;
import dev.tether.agent.process.RunAs;
import dev.tether.agent.tls.TrustedCa;
import dev.tether.protocol.Limits;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tether agent}: runs the agent daemon in the foreground until SIGTERM or Ctrl-C. */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = {AgentStatusCommand.class, AgentEmitCommand.class},
        description = {"Run the Tether agent: keeps one outbound WebSocket to the server.",
                "The key is read from --key-file or the TETHER_AGENT_KEY environment variable, never from the command line.",
                "'status' shows how the agent on this host is doing; 'emit' publishes an event through it."})
final class AgentCommand implements Callable<Integer> {

    static final String KEY_ENV = "TETHER_AGENT_KEY";

    /** Required to run the agent, not for its subcommands: checked in {@link #config()}. */
    @Option(names = "--server", paramLabel = "URL", split = ",",
            description = {"Server URL, e.g. https://tether.example.com (http:// needs --insecure); required.",
                    "Repeat it (or separate URLs with commas) for the nodes of a cluster: the agent tries them in "
                            + "an order of its own and moves to the next when one fails or goes away."})
    List<URI> servers;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "File holding the agent key (else $" + KEY_ENV + ").")
    Path keyFile;

    /** Refused when given: a key on the command line is visible to every user of the host ({@code ps}). */
    @Option(names = "--key", paramLabel = "KEY", hidden = true)
    String keyArgument;

    /** Refused when given, as {@link #keyArgument}. */
    @Option(names = "--enroll-token", paramLabel = "TOKEN", hidden = true)
    String enrollTokenArgument;

    @Option(names = "--enroll-token-file", paramLabel = "FILE",
            description = "Join with an enrollment token from this file: the first start gets a key of the agent's own "
                    + "(kept in STATE_DIR/agent.key, 0600), later starts use that key.")
    Path enrollTokenFile;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Name to enrol under with --enroll-token-file (default: the host name; the server adds a "
                    + "suffix when it is taken).")
    String name;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where the agent keeps its state and outbox (default /var/lib/tether-agent as root, else ~/.local/state/tether-agent).")
    Path stateDir;

    @Option(names = "--label", paramLabel = "KEY=VALUE", split = ",",
            description = "A label to report (repeatable, or comma-separated: --label env=prod,role=web).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--ca-file", paramLabel = "PEM",
            description = "Trust the server's certificate only if this CA (PEM) signed it, instead of the system's "
                    + "public roots: for a server with a private CA.")
    Path caFile;

    @Option(names = "--insecure", description = "Allow plain ws:// or http:// (the key crosses the network in clear).")
    boolean insecure;

    @Option(names = "--accept-moved-state",
            description = "Run on a state dir written on another machine (its /etc/machine-id differs) and make it "
                    + "this machine's. Only when the state really moved here and the old machine no longer runs it: "
                    + "two agents on copies of one state dir confuse the server.")
    boolean acceptMovedState;

    @Option(names = "--run-as", paramLabel = "USER",
            description = "Run jobs and shells as USER, not as the agent's user (the agent must run as root): they then "
                    + "cannot read the agent's key, its state dir or its environment. Refused when USER can read the "
                    + "state dir or the key file.")
    String runAs;

    @Option(names = "--enable-shell",
            description = "Serve interactive remote shells (off by default: whoever may open one runs commands as this agent's user).")
    boolean enableShell;

    @Option(names = "--shell", paramLabel = "PROGRAM",
            description = "Shell to start when a session names no command (default: the user's login shell, else /bin/sh).")
    String shellProgram;

    @Option(names = "--max-shells", paramLabel = "N",
            description = "Most shell sessions held at once, attached or detached (default: ${DEFAULT-VALUE}).")
    int maxShells = Limits.DEFAULT_MAX_SHELL_SESSIONS;

    @Option(names = "--shell-idle-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "How long a detached shell keeps running before it is killed, e.g. 5m (default: 5m).")
    Duration shellIdleTimeout = Limits.DEFAULT_SHELL_IDLE_TIMEOUT;

    @Option(names = "--shell-scrollback", paramLabel = "BYTES", converter = ByteSize.class,
            description = "Output each shell keeps for replay on re-attach, e.g. 64k or 1m (default: 64k).")
    int shellScrollbackBytes = Limits.DEFAULT_SHELL_SCROLLBACK_BYTES;

    /** Read by {@link FlagDefaults} before parsing; declared so picocli accepts it and lists it. */
    @Option(names = FlagDefaults.CONFIG_FLAG, paramLabel = "FILE",
            description = {"Read flags from FILE: one NAME = VALUE per line, NAME a flag without the dashes "
                    + "(server = https://tether.example.com); # starts a comment ($TETHER_AGENT_CONFIG).",
                    "Every flag can also come from the environment: --state-dir is $TETHER_AGENT_STATE_DIR, "
                            + "--label $TETHER_AGENT_LABEL (comma-separated). The command line wins, then the "
                            + "environment, then the file."})
    Path configFile;

    @Override
    public Integer call() throws Exception {
        Agent agent = Agent.start(config());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "tether-agent-shutdown"));
        stopped.await();
        return 0;
    }

    AgentConfig config() throws IOException, InterruptedException {
        refuseSecretArguments();
        if (servers == null || servers.isEmpty()) {
            throw new IllegalArgumentException("Missing required option: '--server=URL' (or $TETHER_AGENT_SERVER): "
                    + "the URL of the Tether server, e.g. --server https://tether.example.com");
        }
        Path state = stateDir != null ? stateDir : defaultStateDir();
        // Checked before enrolling, so a bad URL is reported before the token is sent anywhere.
        AgentConfig.checkServers(servers, insecure);
        if (runAs != null) {
            RunAs user = RunAs.resolve(runAs);
            user.refuseAccessTo(keyFile);
            user.refuseAccessTo(enrollTokenFile);
        }
        return AgentConfig.builder()
                .servers(servers)
                .key(key(state))
                .stateDir(state)
                .labels(Labels.parse(labels))
                .insecure(insecure)
                .caFile(caFile)
                .enableShell(enableShell)
                .shellProgram(shellProgram)
                .maxShells(maxShells)
                .shellIdleTimeout(shellIdleTimeout)
                .shellScrollbackBytes(shellScrollbackBytes)
                .acceptMovedState(acceptMovedState)
                .runAs(runAs)
                .build();
    }

    /** Secrets on the command line are refused, and the error does not repeat them. */
    private void refuseSecretArguments() {
        String visible = " on the command line is visible to every user of this host (ps) and kept in shell history";
        if (keyArgument != null) {
            throw new IllegalArgumentException("--key is refused: an agent key" + visible + ". Put it in a file "
                    + "readable only by the agent's user (chmod 600) and pass --key-file FILE, or set " + KEY_ENV);
        }
        if (enrollTokenArgument != null) {
            throw new IllegalArgumentException("--enroll-token is refused: an enrollment token" + visible
                    + ". Put it in a file and pass --enroll-token-file FILE");
        }
    }

    /** The key: --key-file, else $TETHER_AGENT_KEY, else the enrolled key (enrolling first if need be). */
    private String key(Path state) throws IOException, InterruptedException {
        if (keyFile != null || System.getenv(KEY_ENV) != null) {
            if (enrollTokenFile != null) {
                throw new IllegalArgumentException("--enroll-token-file gets the agent a key of its own: do not also "
                        + "pass --key-file or set " + KEY_ENV);
            }
            return readKey();
        }
        if (enrollTokenFile != null) {
            return new Enrollment(TrustedCa.httpClient(caFile).connectTimeout(Duration.ofSeconds(10)).build())
                    .keyFor(servers, insecure, state, enrollTokenFile, name != null ? name : Enrollment.defaultName());
        }
        String enrolled = Enrollment.storedKey(state);
        return enrolled != null ? enrolled : readKey();
    }

    private String readKey() throws IOException {
        if (keyFile != null) {
            try {
                String key = Files.readString(keyFile).strip();
                if (key.isEmpty()) {
                    throw new IllegalArgumentException("key file " + keyFile + " is empty: put the key printed by "
                            + "'tether agents create' in it");
                }
                return key;
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("key file " + keyFile + " does not exist: create an agent with "
                        + "'tether agents create NAME' and save its key there");
            }
        }
        String key = System.getenv(KEY_ENV);
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("no agent key: pass --key-file FILE, set " + KEY_ENV
                    + ", or join with --enroll-token-file FILE");
        }
        return key.strip();
    }

    /** Parses a byte count written as {@code 65536}, {@code 64k} or {@code 1m} (powers of 1024). */
    static final class ByteSize implements ITypeConverter<Integer> {

        private static final Pattern FORMAT = Pattern.compile("(\\d+)([kKmM]?)");

        @Override
        public Integer convert(String value) {
            return parse(value);
        }

        static int parse(String value) {
            Matcher m = FORMAT.matcher(value.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("invalid size '" + value + "': write a number of bytes, "
                        + "optionally with k or m, e.g. 65536, 64k or 1m");
            }
            long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "k" -> 1024L;
                case "m" -> 1024L * 1024;
                default -> 1L;
            };
            long bytes;
            try {
                bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
            } catch (ArithmeticException | NumberFormatException e) {
                bytes = Long.MAX_VALUE;
            }
            if (bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("size '" + value + "' is too large");
            }
            return (int) bytes;
        }
    }

    /** Where the agent keeps its state when --state-dir is not given. */
    static Path defaultStateDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/tether-agent");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "tether-agent");
    }
}
