package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.peer.OpenSshServer;
import dev.tether.bench.report.Table;
import dev.tether.bench.scenario.ShellMeasures.ThroughputRun;
import dev.tether.bench.server.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tether bench shell}: remote shells through Tether (the server and
 * real agent processes from the CLI jar, the terminal WebSocket) against
 * OpenSSH to 127.0.0.1 (sshd with throwaway keys, the real ssh client), the
 * same measures on both through a PTY: bulk output throughput, keystroke echo
 * round trip, and the memory of many idle shells. See {@link ShellMeasures}
 * for how each is taken.
 *
 * <p>Two client paths, each compared within itself: {@code direct}, the
 * bench's own WebSocket client against {@code ssh -tt} on pipes; and
 * {@code script}, the real {@code tether shell} against {@code ssh -tt}, each
 * inside {@code script} so that it writes to a terminal in raw mode, as for a
 * user ({@link ScriptSide}; throughput and echo only).
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {"Remote shells through Tether against ssh to 127.0.0.1: bulk output MB/s, keystroke echo "
                + "round trip, memory of N idle shells (loopback only; sshd runs with throwaway keys)."})
public final class ShellScenario implements Callable<Integer> {

    static final long QUICK_BYTES = 512L << 20;

    /** Client paths, how the terminals are driven: see the class comment. */
    static final String DIRECT = "direct";
    static final String SCRIPT = "script";

    @Mixin
    RunOptions run;

    @Option(names = "--bytes", paramLabel = "N", defaultValue = "1073741824",
            description = "output each throughput run sends to the client (default: ${DEFAULT-VALUE}, 1 GiB); "
                    + "0 skips the throughput measure")
    long bytes;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3",
            description = "throughput runs per side; the median and the best are reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warm-up-bytes", paramLabel = "N", defaultValue = "67108864",
            description = "output of one untimed run per side first, so the timed runs are not of code being "
                    + "compiled (default: ${DEFAULT-VALUE}, 64 MiB; at most --bytes; 0 skips it)")
    long warmUpBytes;

    @Option(names = "--keystrokes", paramLabel = "N", defaultValue = "10000",
            description = "keystrokes timed for the echo round trip (default: ${DEFAULT-VALUE}); 0 skips the measure; "
                    + "each one's round trip is written to RESULTS-echo-SIDE.tsv")
    int keystrokes;

    @Option(names = "--warm-up-keystrokes", paramLabel = "N", defaultValue = "30000",
            description = "keystrokes sent first, untimed (default: ${DEFAULT-VALUE}, about 10 s): a JVM that has "
                    + "just started compiles for tens of seconds, and on a small machine its compiler threads take "
                    + "the CPU the relay needs, which shows as a tail that a running server does not have")
    int warmUpKeystrokes;

    @Option(names = "--idle-shells", paramLabel = "N", defaultValue = "1000",
            description = "idle shells held at once for the memory measure (default: ${DEFAULT-VALUE}); Tether's "
                    + "server relays at most " + TetherSide.SESSIONS_PER_AGENT + " per agent, so they are spread "
                    + "over ceil(N / " + TetherSide.SESSIONS_PER_AGENT + ") agents; 0 skips the measure")
    int idleShells;

    @Option(names = "--open-concurrency", paramLabel = "N", defaultValue = "16",
            description = "idle shells being opened at once (default: ${DEFAULT-VALUE})")
    int openConcurrency;

    @Option(names = "--shell", paramLabel = "PROGRAM", defaultValue = "/bin/sh",
            description = "login shell on both sides: the agents' --shell, and 'exec PROGRAM -l' over ssh "
                    + "(default: ${DEFAULT-VALUE})")
    String shell;

    @Option(names = "--agent-jvm-opts", paramLabel = "OPTS", defaultValue = "",
            description = "JVM options for the agent processes, space separated (default: none, the JVM's "
                    + "ergonomics, as the tether launcher runs them)")
    String agentJvmOptions;

    @Option(names = "--clients", paramLabel = "PATH", split = ",", defaultValue = "direct,script",
            description = "client paths to measure, comma separated (default: ${DEFAULT-VALUE}): direct = the "
                    + "bench's WebSocket client and ssh -tt on pipes; script = the real 'tether shell' and ssh -tt, "
                    + "each inside script(1), throughput and echo only")
    List<String> clients;

    @Option(names = "--nul", description = "throughput of NUL bytes, as 'head -c N /dev/zero' sends them (default: "
            + "'x', through tr): terminal output that is not text, which the recording must escape")
    boolean nul;

    @Option(names = "--quick", description = "throughput and echo only, in minutes: no idle shells, and at most "
            + QUICK_BYTES + " bytes (512 MiB) per throughput run")
    boolean quick;

    @Option(names = "--no-ssh", description = "skip the OpenSSH side")
    boolean noSsh;

    @Option(names = "--no-tether", description = "skip the Tether side")
    boolean noTether;

    @Option(names = "--throughput-timeout", paramLabel = "DURATION", defaultValue = "5m",
            converter = DurationConverter.class,
            description = "give up on one throughput run after this long (default: ${DEFAULT-VALUE})")
    Duration throughputTimeout;

    @Override
    public Integer call() throws Exception {
        if (quick) {
            idleShells = 0;
            bytes = Math.min(bytes, QUICK_BYTES);
        }
        validate();
        ShellReport report = new ShellReport();
        Map<String, Object> sides = new LinkedHashMap<>();
        try (BenchRun bench = BenchRun.open("shell", run, System.out, Math.max(1, idleShells))) {
            List<ShellSide> direct = new ArrayList<>();
            List<ShellSide> scripted = new ArrayList<>();
            Path clientLog = bench.results().json().resolveSibling(stem(bench) + "-clients.log");
            if (!noTether) {
                TetherSide tether = TetherSide.start(bench, TetherSide.agentsFor(idleShells), shell,
                        agentJvmOptionList());
                direct.add(tether);
                scripted.add(new ScriptSide(ShellReport.TETHER_CLI, tether, tether::cliCommand,
                        TetherSide.cliEnvironment(), clientLog));
                sides.put("tether", Map.of("agents", tether.agentCount(),
                        "sessions_per_agent_cap", TetherSide.SESSIONS_PER_AGENT, "shell", shell));
            }
            if (!noSsh) {
                Path work = bench.results().json().resolveSibling(stem(bench) + "-sshd");
                OpenSshServer sshd = bench.own(OpenSshServer.start(OpenSshServer.binary(), ServerProcess.freePort(),
                        work, Math.max(idleShells, 1)));
                String cipher = sshd.negotiatedCipher();
                bench.out().printf("%s, cipher %s%n", sshd, cipher);
                SshSide ssh = new SshSide(sshd, shell, work.resolve("ssh-clients.log"));
                direct.add(ssh);
                scripted.add(new ScriptSide(ShellReport.OPENSSH_SCRIPT, ssh, slot -> ssh.clientCommand(), Map.of(),
                        clientLog));
                sides.put("openssh", Map.of("cipher", cipher, "version", sshVersion(), "shell", shell));
            }
            List<ShellSide> compared = new ArrayList<>();
            if (clients.contains(DIRECT)) {
                compared.addAll(direct);
            }
            if (clients.contains(SCRIPT)) {
                compared.addAll(scripted);
            }
            for (ShellSide side : compared) {
                // One shell opened and closed first, so the idle baseline is not of code loaded on first use.
                ShellMeasures.exit(ShellMeasures.openAtPrompt(side, 0));
            }
            measure(bench, compared, clients.contains(DIRECT) ? direct : List.of(), report);
            print(bench, report);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("environment", bench.environment());
            json.put("settings", settings());
            json.put("sides", sides);
            json.put("result", report.toJson());
            json.put("notes", notes());
            List<Path> charts = report.charts(bench.results());
            json.put("charts", charts.stream().map(p -> p.getFileName().toString()).toList());
            bench.out().println("results: " + bench.results().write(json));
            charts.forEach(c -> bench.out().println("chart:   " + c));
            return 0;
        }
    }

    private void validate() {
        if (bytes < 0 || warmUpBytes < 0 || runs < 1 || keystrokes < 0 || warmUpKeystrokes < 0 || idleShells < 0
                || openConcurrency < 1) {
            throw new IllegalArgumentException("--bytes, --warm-up-bytes, --keystrokes, --warm-up-keystrokes and "
                    + "--idle-shells must not be negative, --runs and --open-concurrency at least 1");
        }
        if (noSsh && noTether) {
            throw new IllegalArgumentException("--no-ssh and --no-tether together leave nothing to measure");
        }
        if (clients.isEmpty() || !List.of(DIRECT, SCRIPT).containsAll(clients)) {
            throw new IllegalArgumentException("--clients takes direct, script or both, not " + clients);
        }
    }

    /** Side by side per measure, so a change in the machine's load shows in both. */
    private void measure(BenchRun bench, List<ShellSide> sides, List<ShellSide> idleSides, ShellReport report)
            throws Exception {
        if (idleShells > 0) {
            for (ShellSide side : idleSides) {
                bench.out().printf("%s: opening %,d idle shells, %d at a time%n", side.name(), idleShells,
                        openConcurrency);
                report.idle.put(side.name(), ShellMeasures.idle(bench, side, idleShells, openConcurrency));
            }
        }
        if (bytes > 0) {
            for (ShellSide side : sides) {
                if (warmUpBytes > 0) {
                    ShellMeasures.throughput(side, Math.min(warmUpBytes, bytes), nul, throughputTimeout);
                }
                List<ThroughputRun> done = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    ThroughputRun r = ShellMeasures.throughput(side, bytes, nul, throughputTimeout);
                    bench.out().printf("%s: throughput run %d: %,d bytes in %.2f s, %.1f MB/s%n", side.name(), i + 1,
                            r.bytes(), r.seconds(), r.megabytesPerSecond());
                    done.add(r);
                }
                report.throughput.put(side.name(), done);
            }
        }
        if (keystrokes > 0) {
            for (ShellSide side : sides) {
                String json = bench.results().json().getFileName().toString();
                Path trace = bench.results().json().resolveSibling(json.replace(".json", "-echo-"
                        + side.name().toLowerCase(Locale.ROOT).replace(' ', '-') + ".tsv"));
                ShellMeasures.EchoResult echo = ShellMeasures.echo(side, keystrokes, warmUpKeystrokes, trace);
                bench.out().printf("%s: %,d keystrokes echoed, p50 %d us, p99 %d us%n", side.name(), echo.echoed(),
                        echo.micros().percentile(0.5), echo.micros().percentile(0.99));
                report.echo.put(side.name(), echo);
            }
        }
    }

    private static void print(BenchRun bench, ShellReport report) {
        section(bench, "Bulk output (MB = 10^6 bytes; median and best of the runs)", report.throughput.isEmpty()
                ? null : report.throughputTable());
        section(bench, "Keystroke echo round trip (one byte at a time through a raw PTY)", report.echo.isEmpty()
                ? null : report.echoTable());
        section(bench, "Idle shells (memory added over the baseline; PSS unless marked RSS)",
                report.idle.isEmpty() ? null : report.idleTable());
    }

    private static void section(BenchRun bench, String title, Table table) {
        if (table != null) {
            bench.out().println();
            bench.out().println(title);
            bench.out().print(table.render());
        }
    }

    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("bytes", bytes);
        s.put("runs", runs);
        s.put("warm_up_bytes", Math.min(warmUpBytes, bytes));
        s.put("keystrokes", keystrokes);
        s.put("warm_up_keystrokes", warmUpKeystrokes);
        s.put("idle_shells", idleShells);
        s.put("open_concurrency", openConcurrency);
        s.put("shell", shell);
        s.put("agent_jvm_options", agentJvmOptionList());
        s.put("clients", clients);
        s.put("quick", quick);
        s.put("payload", nul ? "NUL" : "x");
        s.put("ssh", !noSsh);
        s.put("tether", !noTether);
        return s;
    }

    private static List<String> notes() {
        return List.of("throughput: bytes counted exactly between two printf markers; seconds from sending the "
                        + "command to the arrival of the end marker; MB = 10^6 bytes",
                "echo: stty raw -echo; exec dd bs=1 count=N on the PTY; one byte sent at a time once the last "
                        + "came back; times taken by the reading thread when the echo arrived",
                "idle: PSS from /proc/PID/smaps_rollup; Tether daemons = server + agents, shells = the agents' "
                        + "child processes; OpenSSH daemons = every sshd process, shells = the others under sshd",
                "Tether's server relays at most " + TetherSide.SESSIONS_PER_AGENT + " sessions per agent: idle "
                        + "shells are spread over ceil(N / " + TetherSide.SESSIONS_PER_AGENT + ") agents, whose "
                        + "own memory before the shells is the baseline",
                "Tether records every session's output (asciicast) as part of relaying it; the throughput "
                        + "sessions' recordings are deleted after each run",
                "script clients: script -qec CLIENT /dev/null with the bench on script's pipes; 'Tether CLI' is "
                        + "java --enable-native-access=ALL-UNNAMED -jar JAR shell AGENT (a new JVM per shell, "
                        + "started before the timing begins), 'OpenSSH in script' the same ssh -tt command as "
                        + "OpenSSH; idle shells are not measured through script");
    }

    private List<String> agentJvmOptionList() {
        return agentJvmOptions.isBlank() ? List.of() : Arrays.asList(agentJvmOptions.trim().split("\\s+"));
    }

    private static String stem(BenchRun bench) {
        String name = bench.results().json().getFileName().toString();
        return name.substring(0, name.length() - ".json".length());
    }

    private static String sshVersion() {
        try {
            Process p = new ProcessBuilder("ssh", "-V").redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return version;
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
