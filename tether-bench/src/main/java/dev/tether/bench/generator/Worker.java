package dev.tether.bench.generator;

import dev.tether.bench.report.Json;
import dev.tether.bench.sim.Fleet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The child side of a {@link WorkerProcess}: runs a {@link Fleet} and obeys
 * one command per stdin line, answering one line on stdout:
 * <ul>
 *   <li>{@code ready} → {@code ok}</li>
 *   <li>{@code connect COUNT} → {@code ok}</li>
 *   <li>{@code publish AGENTS PER_AGENT PENDING_LIMIT} → {@code ok}</li>
 *   <li>{@code mark-commands EPOCH_MICROS} → {@code ok} (time commands from then on)</li>
 *   <li>{@code snapshot} → {@code ok {json}} (a {@code FleetSnapshot})</li>
 *   <li>{@code close} → {@code ok}, then the process exits</li>
 * </ul>
 * Anything else, or a failure, → {@code error MESSAGE}. The process also
 * exits when stdin closes (the parent died) or at the spec's deadline, so a
 * run always stops by itself.
 */
public final class Worker {

    private final Fleet fleet;
    private final PrintStream out;

    private Worker(Fleet fleet, PrintStream out) {
        this.fleet = fleet;
        this.out = out;
    }

    /** Runs until "close", end of input or the deadline; returns the exit status. */
    public static int run(WorkerSpec spec, BufferedReader in, PrintStream out) throws IOException {
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "generator-deadline");
            thread.setDaemon(true);
            return thread;
        });
        long left = spec.deadlineEpochMillis() - System.currentTimeMillis();
        watchdog.schedule(() -> {
            System.err.println("generator: deadline reached, exiting");
            Runtime.getRuntime().halt(3);
        }, Math.max(0, left), TimeUnit.MILLISECONDS);
        try (Fleet fleet = Fleet.create(spec.config(), spec.agents())) {
            Worker worker = new Worker(fleet, out);
            String line;
            while ((line = in.readLine()) != null) {
                if (!worker.handle(line.trim())) {
                    break;
                }
            }
        } finally {
            watchdog.shutdownNow();
        }
        return 0;
    }

    /** @return false after "close" */
    private boolean handle(String line) {
        String[] words = line.split(" ");
        try {
            switch (words[0]) {
                case "ready" -> reply("ok");
                case "connect" -> {
                    fleet.connect(Integer.parseInt(words[1]));
                    reply("ok");
                }
                case "publish" -> {
                    fleet.publish(Integer.parseInt(words[1]), Long.parseLong(words[2]), Long.parseLong(words[3]));
                    reply("ok");
                }
                case "mark-commands" -> {
                    fleet.markCommands(Long.parseLong(words[1]));
                    reply("ok");
                }
                case "snapshot" -> reply("ok " + Json.write(fleet.snapshot().toJson()));
                case "close" -> {
                    reply("ok");
                    return false;
                }
                default -> reply("error unknown command: " + words[0]);
            }
        } catch (RuntimeException e) {
            reply("error " + e.toString().replace('\n', ' '));
        }
        return true;
    }

    private void reply(String line) {
        out.println(line);
        out.flush();
    }
}
