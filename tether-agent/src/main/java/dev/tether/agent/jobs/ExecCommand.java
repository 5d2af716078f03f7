package dev.tether.agent.jobs;

import dev.tether.agent.JobContext.Exec;
import dev.tether.agent.JobResult;
import dev.tether.agent.process.ChildEnvironment;
import dev.tether.agent.process.LeftOvers;
import dev.tether.agent.process.ProcessExit;
import dev.tether.agent.process.ProcessGroup;
import dev.tether.agent.process.Programs;
import dev.tether.protocol.v1.JobFinished.Outcome;
import dev.tether.protocol.v1.JobOutput.Stream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in {@code exec} command: runs {@code argv} as a process in its own
 * process group ({@link ProcessGroup}), with the agent's environment plus the
 * spec's {@code env} and {@code TETHER_JOB_ID} / {@code TETHER_COMMAND_ID} /
 * {@code TETHER_SPAWN_TOKEN}, in
 * {@code cwd}, stdin from {@code /dev/null}. The agent's key never reaches a job:
 * {@code TETHER_AGENT_KEY} and any variable holding the key are removed. With
 * {@code --run-as USER} the job runs as that user ({@link ChildEnvironment}).
 *
 * <p>Before the spawn the job is marked {@code starting}, durably, so an agent
 * killed before it records the pid still knows at its next start that a process
 * may be running ({@link Jobs#endLeftOverJobs}).
 * {@code JobStarted{pid}} is reported once the process runs; stdout and
 * stderr are read by one thread each into the job's {@link OutputCoalescer}. A
 * cancel or timeout terminates the group (SIGTERM, SIGKILL after
 * {@link ProcessGroup#KILL_GRACE}). The job ends when the process exits: exit 0
 * succeeded, anything else failed with the exit code (the worker turns it into
 * cancelled or timed out when that is why it stopped). Output still arriving
 * {@link #OUTPUT_DRAIN} after the exit (a background process that kept the
 * pipes open) is dropped; such processes are left running.
 *
 * <p>Thread safe: stateless between jobs.
 */
final class ExecCommand implements JobWork {

    /** How long output may keep arriving after the process exited. */
    static final Duration OUTPUT_DRAIN = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(ExecCommand.class);

    private final ScheduledExecutorService timers;
    private final ChildEnvironment children;

    /**
     * @param timers runs the SIGKILL after the grace
     * @param children the key kept out of the job's environment, and the user jobs run as
     */
    ExecCommand(ScheduledExecutorService timers, ChildEnvironment children) {
        this.timers = timers;
        this.children = children;
    }

    @Override
    public boolean reportsStart() {
        return true;
    }

    @Override
    public JobResult run(LiveJob job) {
        Exec spec = job.exec();
        if (spec.argv().isEmpty()) {
            return JobResult.failure("exec needs argv: the program and its arguments");
        }
        ProcessBuilder builder = new ProcessBuilder(ProcessGroup.command(children.command(spec.argv())))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        environment(builder.environment(), job);
        if (children.defaultDirectory() != null) {
            builder.directory(children.defaultDirectory().toFile());
        }
        if (spec.cwd() != null) {
            Path cwd = Path.of(spec.cwd());
            if (!Files.isDirectory(cwd)) {
                return JobResult.failure("cannot run " + spec.argv().get(0) + ": working directory " + cwd
                        + " does not exist or is not a directory");
            }
            builder.directory(cwd.toFile());
        }
        String missing = Programs.problem(spec.argv().get(0), builder.environment().get("PATH"), builder.directory());
        if (missing != null) {
            return JobResult.failure(missing);
        }
        String spawnToken = UUID.randomUUID().toString();
        builder.environment().put(LeftOvers.SPAWN_TOKEN_VARIABLE, spawnToken);
        if (!job.starting(spawnToken)) {
            return JobResult.failure("the job ended before its process was started");
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return JobResult.failure("cannot run " + spec.argv().get(0) + ": " + e.getMessage());
        }
        SpawnTestHook.afterSpawn(process.pid());
        return supervise(job, process);
    }

    private JobResult supervise(LiveJob job, Process process) {
        ProcessGroup group = ProcessGroup.of(process);
        boolean reported;
        try {
            reported = job.started(process.pid());
        } catch (RuntimeException e) {
            group.terminate(timers);
            throw e;
        }
        if (!reported) {
            // Ended meanwhile (the agent is stopping): it must not run on unreported.
            job.requestStop(Outcome.CANCELLED, Jobs.STOPPING_ERROR);
        }
        job.onCancel(() -> group.terminate(timers));
        Thread stdout = pump(job, process.getInputStream(), Stream.STDOUT);
        Thread stderr = pump(job, process.getErrorStream(), Stream.STDERR);
        int exit = awaitExit(process, group);
        drain(job, stdout, stderr);
        return JobResult.exitCode(exit);
    }

    /**
     * The job's environment: the agent's less the key (and as the run-as user), plus the spec's and the job's ids.
     * Before the spawn, {@code TETHER_SPAWN_TOKEN} is added: it marks the job's processes for {@link LeftOvers}.
     */
    void environment(Map<String, String> env, LiveJob job) {
        children.apply(env);
        env.remove(SpawnTestHook.VARIABLE);
        env.putAll(job.exec().env());
        env.put("TETHER_JOB_ID", job.jobId());
        env.put("TETHER_COMMAND_ID", job.commandId());
    }

    /** Waits for the exit; an interrupt (not expected: exec workers are not interrupted) stops the group. */
    private int awaitExit(Process process, ProcessGroup group) {
        return ProcessExit.await(process, () -> group.terminate(timers));
    }

    private static void drain(LiveJob job, Thread... pumps) {
        long deadline = System.nanoTime() + OUTPUT_DRAIN.toNanos();
        try {
            for (Thread pump : pumps) {
                pump.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Thread pump : pumps) {
            if (pump.isAlive()) {
                log.info("{}: a process it started still holds its output open; later output is dropped", job);
                return;
            }
        }
    }

    private static Thread pump(LiveJob job, InputStream in, Stream stream) {
        Thread thread = new Thread(() -> copy(job, in, stream),
                "tether-" + job.jobId() + "-" + stream.name().toLowerCase());
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void copy(LiveJob job, InputStream in, Stream stream) {
        byte[] buffer = new byte[8192];
        boolean failed = false;
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                failed = write(job, stream, buffer, n, failed);
            }
        } catch (IOException e) {
            log.debug("{}: {} closed: {}", job, stream, e.toString());
        }
    }

    /** Writes to the job's output; after a failure (the store is gone) keeps draining the pipe only. */
    private static boolean write(LiveJob job, Stream stream, byte[] buffer, int n, boolean failed) {
        if (failed) {
            return true;
        }
        try {
            job.output().write(stream, buffer, 0, n);
            return false;
        } catch (RuntimeException e) {
            log.error("{}: cannot store its {}; the rest is dropped", job, stream, e);
            return true;
        }
    }
}
