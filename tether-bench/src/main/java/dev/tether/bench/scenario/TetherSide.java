package dev.tether.bench.scenario;

import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.AgentProcess;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.terminal.Terminal;
import dev.tether.bench.terminal.TetherTerminal;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The Tether side: the bench's server and real agent processes started from
 * the same CLI jar with {@code --enable-shell}, and terminals over the
 * server's shell WebSocket with the admin token. The server relays at most
 * {@link #SESSIONS_PER_AGENT} sessions per agent, so N shells are spread over
 * ceil(N / 64) agents, round robin. Not thread safe, except {@link #open},
 * which the idle test calls from several threads.
 */
final class TetherSide implements ShellSide {

    /** The server's cap on sessions relayed for one agent (ShellBroker.MAX_SESSIONS_PER_AGENT; not a flag). */
    static final int SESSIONS_PER_AGENT = 64;
    /** The agent's own cap (--max-shells), its largest allowed value: the server's cap binds first. */
    static final int AGENT_MAX_SHELLS = 256;
    private static final Duration ONLINE_TIMEOUT = Duration.ofSeconds(90);

    private final ServerProcess server;
    private final AdminClient admin;
    private final List<Credentials> credentials;
    private final List<AgentProcess> agents;
    private final Path recordings;
    private final Path java;
    private final Path jar;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private TetherSide(ServerProcess server, AdminClient admin, List<Credentials> credentials,
            List<AgentProcess> agents, Path recordings, Path java, Path jar) {
        this.recordings = recordings;
        this.java = java;
        this.jar = jar;
        this.server = server;
        this.admin = admin;
        this.credentials = credentials;
        this.agents = agents;
    }

    static int agentsFor(int shells) {
        return Math.max(1, (shells + SESSIONS_PER_AGENT - 1) / SESSIONS_PER_AGENT);
    }

    /** Starts the server and {@code agentCount} shell-serving agents (owned by the run); waits until all are online. */
    static TetherSide start(BenchRun bench, int agentCount, String shell, List<String> agentJvmOptions)
            throws IOException, InterruptedException, TimeoutException {
        ServerProcess server = bench.startServer(Duration.ofSeconds(30));
        List<Credentials> credentials = bench.agents(server, agentCount);
        // State beside the server's data, like the cached keys: an agent's outbox numbering must match what the
        // server applied, so a run that reuses the keys reuses the state (--fresh deletes both).
        Path stateRoot = bench.options().resolvedDataDir().resolve("bench-agents");
        Path logs = bench.results().json().resolveSibling(stem(bench) + "-agents");
        List<AgentProcess> agents = new ArrayList<>();
        for (int i = 0; i < agentCount; i++) {
            agents.add(bench.own(AgentProcess.start(new AgentProcess.Options(bench.options().resolvedServerJar(),
                    bench.options().resolvedJava(), agentJvmOptions, server.baseUri(), credentials.get(i).key(),
                    stateRoot.resolve(credentials.get(i).id()), logs.resolve("agent-" + i + ".log"),
                    List.of("--enable-shell", "--shell", shell, "--max-shells", Integer.toString(AGENT_MAX_SHELLS))))));
        }
        TetherSide side = new TetherSide(server, bench.admin(server), credentials, agents,
                bench.options().resolvedDataDir().resolve("recordings"), bench.options().resolvedJava(),
                bench.options().resolvedServerJar());
        bench.out().printf("%d agent process(es) started with --enable-shell --shell %s; waiting for them%n",
                agentCount, shell);
        bench.await(agentCount + " agents online", ONLINE_TIMEOUT, side::allOnline);
        return side;
    }

    private static String stem(BenchRun bench) {
        String name = bench.results().json().getFileName().toString();
        return name.substring(0, name.length() - ".json".length());
    }

    private boolean allOnline() {
        for (AgentProcess agent : agents) {
            if (!agent.alive()) {
                throw new IllegalStateException(agent + " exited; see " + agent.logFile());
            }
        }
        try {
            Map<String, String> statuses = admin.agentStatuses();
            return credentials.stream().allMatch(c -> "online".equals(statuses.get(c.id())));
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    int agentCount() {
        return agents.size();
    }

    @Override
    public String name() {
        return "Tether";
    }

    @Override
    public Terminal open(int slot, Duration timeout) throws Exception {
        String agentId = credentials.get(slot % credentials.size()).id();
        return TetherTerminal.open(http, server.baseUri(), BenchRun.ADMIN_TOKEN, agentId,
                "rows=24&cols=80&term=xterm-256color", timeout);
    }

    /** Deletes the session's recording: a gigabyte of output is recorded as more than a gigabyte on disk. */
    @Override
    public void discard(Terminal terminal) throws IOException {
        if (terminal instanceof TetherTerminal tether && tether.sessionId() != null) {
            Files.deleteIfExists(recordings.resolve(tether.sessionId() + ".cast"));
        }
    }

    /** Deletes the recordings of sessions started since {@code start} (one flood each: see {@link #discard}). */
    @Override
    public void discardSince(Instant start) throws IOException {
        FileTime since = FileTime.from(start);
        try (Stream<Path> files = Files.list(recordings)) {
            for (Path cast : files.filter(p -> p.getFileName().toString().endsWith(".cast")).toList()) {
                if (Files.getLastModifiedTime(cast).compareTo(since) >= 0) {
                    Files.deleteIfExists(cast);
                }
            }
        }
    }

    /**
     * The real CLI's command line for a shell on the agent of {@code slot}, as the {@code tether} launcher runs
     * it (the same java and jar as the server); the token comes from {@link #cliEnvironment}.
     */
    List<String> cliCommand(int slot) {
        return List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "shell",
                "--url", server.baseUri().toString(), credentials.get(slot % credentials.size()).id());
    }

    static Map<String, String> cliEnvironment() {
        return Map.of("TETHER_TOKEN", BenchRun.ADMIN_TOKEN);
    }

    @Override
    public List<ProcessHandle> daemons() {
        return Stream.concat(Stream.of(ProcessHandle.of(server.pid()).orElseThrow()),
                agents.stream().map(AgentProcess::handle)).toList();
    }

    @Override
    public List<ProcessHandle> shells() {
        return agents.stream().flatMap(a -> a.handle().descendants()).toList();
    }
}
