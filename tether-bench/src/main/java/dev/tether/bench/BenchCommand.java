package dev.tether.bench;

import dev.tether.bench.generator.Worker;
import dev.tether.bench.generator.WorkerSpec;
import dev.tether.bench.preflight.Preflight;
import dev.tether.bench.scenario.ChaosScenario;
import dev.tether.bench.scenario.ClusterScenario;
import dev.tether.bench.scenario.ConnectionsScenario;
import dev.tether.bench.scenario.FanoutScenario;
import dev.tether.bench.scenario.OutboxScenario;
import dev.tether.bench.scenario.ShellScenario;
import dev.tether.bench.scenario.StormScenario;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tether bench SCENARIO [options]}: load scenarios against a real
 * Tether server with simulated agents, side by side with a peer where one
 * applies. Mount it as a subcommand of the CLI, or run it on its own with
 * {@link #main}. Every run is bounded in agents and time, stays on loopback,
 * prints a table and writes JSON and charts under {@code bench-results/}.
 */
@Command(name = "tether bench", mixinStandardHelpOptions = true, version = "tether bench, protocol v1",
        description = {"Benchmarks with simulated agents against a real Tether server (loopback only).",
            "Results: a table here, JSON and PNG charts under --results-dir (default bench-results/)."},
        subcommands = {ConnectionsScenario.class, FanoutScenario.class, StormScenario.class, OutboxScenario.class,
            ShellScenario.class, ChaosScenario.class, ClusterScenario.class, BenchCommand.PreflightCommand.class, BenchCommand.WorkerCommand.class})
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line, with a bad setting ({@link IllegalArgumentException}: a missing jar, a limit too low)
     * reported as its message and exit status 2, not a stack trace.
     */
    public static CommandLine commandLine() {
        CommandLine line = new CommandLine(new BenchCommand());
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("tether bench: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return line;
    }

    /** {@code bench preflight --agents N}: what limits bind a run of N agents here, and what to raise. */
    @Command(name = "preflight", mixinStandardHelpOptions = true,
            description = "Read the limits that bind a run of N agents (open files, ports, memory) "
                    + "and say what to raise.")
    static final class PreflightCommand implements Callable<Integer> {

        @Option(names = "--agents", paramLabel = "N", defaultValue = "19500",
                description = "agents to plan for (default: ${DEFAULT-VALUE})")
        int agents;

        @Option(names = "--generators", paramLabel = "N", description = "generator processes (default: as needed)")
        Integer generators;

        @Override
        public Integer call() throws Exception {
            Preflight preflight = Preflight.read();
            int processes = generators != null ? generators : preflight.generatorsFor(agents);
            Preflight.Report report = preflight.check(agents, processes);
            System.out.print(report.render());
            System.out.printf("one server process: at most %,d agents; one generator process: at most %,d%n",
                    preflight.maxAgentsPerServer(), preflight.maxAgentsPerGenerator());
            return report.ok() ? 0 : 1;
        }
    }

    /** The child side of a generator process; started by the bench itself, not by people. */
    @Command(name = "worker", hidden = true, description = "Run a share of the simulated fleet (internal).")
    static final class WorkerCommand implements Callable<Integer> {

        @Option(names = "--spec", required = true, paramLabel = "FILE")
        Path spec;

        @Parameters(hidden = true, arity = "0")
        String[] ignored;

        @Override
        public Integer call() throws Exception {
            return Worker.run(WorkerSpec.read(spec),
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out);
        }
    }
}
