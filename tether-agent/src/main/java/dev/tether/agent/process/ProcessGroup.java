package dev.tether.agent.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process group an exec job runs in, and how it is stopped.
 *
 * <p>Where {@code /usr/bin/setsid} exists the job's program is started through
 * it: the process leads a new session and process group (pgid = pid; setsid
 * does not fork, because a freshly spawned child never leads a group). Stopping
 * sends SIGTERM to the whole group with {@code kill -TERM -- -PGID}, then
 * SIGKILL after {@link #KILL_GRACE}, so children and grandchildren go too. Without
 * setsid (or without a {@code kill} program) the fallback signals the process
 * and the descendants the JDK can see ({@link ProcessHandle#descendants()});
 * a grandchild already reparented to init escapes it.
 *
 * <p>Thread safe: immutable; signals may be sent from any thread.
 */
final class ProcessGroup {

    /** Between SIGTERM and SIGKILL. */
    static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(ProcessGroup.class);
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Optional<Path> KILL = firstExecutable("/bin/kill", "/usr/bin/kill");
    /** A process found at a recorded pid is the one recorded only if it started this close to the record. */
    private static final Duration START_TOLERANCE = Duration.ofSeconds(5);

    private final ProcessHandle process;
    private final boolean ownGroup;

    private ProcessGroup(ProcessHandle process, boolean ownGroup) {
        this.process = process;
        this.ownGroup = ownGroup;
    }

    /** Whether jobs get their own process group here. */
    static boolean isolated() {
        return Files.isExecutable(SETSID);
    }

    /** The command line that starts {@code argv} in a new process group where possible. */
    static List<String> command(List<String> argv) {
        if (!isolated()) {
            return argv;
        }
        List<String> command = new ArrayList<>(argv.size() + 2);
        command.add(SETSID.toString());
        if (argv.get(0).startsWith("-")) {
            command.add("--");
        }
        command.addAll(argv);
        return command;
    }

    /** The group led by a process started with {@link #command}. */
    static ProcessGroup of(Process process) {
        return new ProcessGroup(process.toHandle(), isolated());
    }

    /**
     * The group a job of an earlier agent process left running, if the process at
     * {@code pid} is still the one that job started at {@code startedMs} (not a
     * later process that reuses the pid).
     */
    static Optional<ProcessGroup> leftOver(long pid, long startedMs) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().startInstant()
                        .map(start -> Duration.between(start, Instant.ofEpochMilli(startedMs)).abs()
                                .compareTo(START_TOLERANCE) <= 0)
                        .orElse(false))
                .map(handle -> new ProcessGroup(handle, isolated()));
    }

    long pid() {
        return process.pid();
    }

    /**
     * SIGTERM to the group at once, SIGKILL after {@link #KILL_GRACE} (to whatever
     * of it is left). Both are sent from the timer thread, so a cancel never holds
     * up the connection's reader while a {@code kill} runs.
     */
    void terminate(ScheduledExecutorService timers) {
        try {
            timers.execute(() -> signal(false));
            timers.schedule(() -> signal(true), KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The agent has stopped: no timer to wait for the grace with.
            signal(true);
        }
    }

    void signal(boolean kill) {
        if (ownGroup && KILL.isPresent() && signalGroup(kill ? "-KILL" : "-TERM")) {
            return;
        }
        List<ProcessHandle> targets = new ArrayList<>(process.descendants().toList());
        targets.add(process);
        for (ProcessHandle target : targets) {
            if (kill) {
                target.destroyForcibly();
            } else {
                target.destroy();
            }
        }
    }

    private boolean signalGroup(String signal) {
        try {
            Process kill = new ProcessBuilder(KILL.get().toString(), signal, "--", "-" + process.pid())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!kill.waitFor(2, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                return false;
            }
            // 1: no such process group (it has already gone), which is success enough.
            return kill.exitValue() == 0 || !process.isAlive();
        } catch (IOException e) {
            log.debug("cannot run {}: {}; signalling the processes one by one", KILL.get(), e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Optional<Path> firstExecutable(String... candidates) {
        for (String candidate : candidates) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }
}
