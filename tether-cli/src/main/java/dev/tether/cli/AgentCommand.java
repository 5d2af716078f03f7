package dev.tether.cli;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
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
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the Tether agent: keeps one outbound WebSocket to the server.",
                "The key is read from --key-file or the TETHER_AGENT_KEY environment variable, never from the command line."})
final class AgentCommand implements Callable<Integer> {

    static final String KEY_ENV = "TETHER_AGENT_KEY";

    @Option(names = "--server", required = true, paramLabel = "URL",
            description = "Server URL, e.g. https://tether.example.com (http:// needs --insecure).")
    URI server;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "File holding the agent key (else $" + KEY_ENV + ").")
    Path keyFile;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where the agent keeps its state and outbox (default /var/lib/tether-agent as root, else ~/.local/state/tether-agent).")
    Path stateDir;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label to report (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--insecure", description = "Allow plain ws:// or http:// (the key crosses the network in clear).")
    boolean insecure;

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

    AgentConfig config() throws IOException {
        return AgentConfig.builder()
                .server(server)
                .key(readKey())
                .stateDir(stateDir != null ? stateDir : defaultStateDir())
                .labels(Labels.parse(labels))
                .insecure(insecure)
                .enableShell(enableShell)
                .shellProgram(shellProgram)
                .maxShells(maxShells)
                .shellIdleTimeout(shellIdleTimeout)
                .shellScrollbackBytes(shellScrollbackBytes)
                .build();
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
            throw new IllegalArgumentException("no agent key: pass --key-file FILE or set " + KEY_ENV);
        }
        return key.strip();
    }

    /** Parses a byte count written as {@code 65536}, {@code 64k} or {@code 1m} (powers of 1024). */
    static final class ByteSize implements ITypeConverter<Integer> {

        private static final Pattern FORMAT = Pattern.compile("(\\d+)([kKmM]?)");

        @Override
        public Integer convert(String value) {
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

    private static Path defaultStateDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/tether-agent");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "tether-agent");
    }
}
