package dev.tether.cli;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    private static Path defaultStateDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/tether-agent");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "tether-agent");
    }
}
