package dev.tether.agent.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process group a job or a shell runs in, and how it is stopped.
 *
 * <p>An exec job's program is started through {@code /usr/bin/setsid} where it
 * exists: the process leads a new session and process group (pgid = pid; setsid
 * does not fork, because a freshly spawned child never leads a group). A shell's
 * PTY child leads its own session already ({@link #leader}). Signals go to the
 * whole group with {@code kill -SIG -- -PGID}, so children and grandchildren go
 * too; the final SIGKILL also reaches the descendants seen when the stop began,
 * which catches those a job-control shell moved to process groups of their own.
 * Without a group (no setsid, or no {@code kill} program) the fallback signals the
 * process and the descendants the JDK can see ({@link ProcessHandle#descendants()}),
 * SIGHUP and SIGTERM both as {@link ProcessHandle#destroy()}; a grandchild already
 * reparented to init escapes it.
 *
 * <p>Thread safe: immutable; signals may be sent from any thread.
 */
public final class ProcessGroup {

    /** The signals this class sends. */
    public enum Signal {
        HUP, TERM, KILL;

        /** {@code SIGHUP}, {@code SIGTERM}, {@code SIGKILL}. */
        public String fullName() {
            return "SIG" + name();
        }

        /** The POSIX number (the same on every Unix for these three). */
        public int number() {
            return switch (this) {
                case HUP -> 1;
                case TERM -> 15;
                case KILL -> 9;
            };
        }
    }

    /** Between SIGTERM and SIGKILL for a job. */
    public static final Duration KILL_GRACE = Duration.ofSeconds(5);

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
    public static boolean isolated() {
        return Files.isExecutable(SETSID);
    }

    /** The command line that starts {@code argv} in a new process group where possible. */
    public static List<String> command(List<String> argv) {
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
    public static ProcessGroup of(Process process) {
        return new ProcessGroup(process.toHandle(), isolated());
    }

    /** The group of a process known to lead its own group (pgid = pid), such as a PTY's session leader. */
    public static ProcessGroup leader(ProcessHandle process) {
        return new ProcessGroup(process, true);
    }

    /**
     * A process found running that this agent process did not start (a job's left-over): its group when it
     * leads one, else the process and its descendants.
     */
    public static ProcessGroup found(ProcessHandle process) {
        return new ProcessGroup(process, ProcFs.leadsGroup(process.pid()));
    }

    /**
     * The group a job of an earlier agent process left running, if the process at
     * {@code pid} is still the one that job started at {@code startedMs} (not a
     * later process that reuses the pid).
     */
    public static Optional<ProcessGroup> leftOver(long pid, long startedMs) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().startInstant()
                        .map(start -> Duration.between(start, Instant.ofEpochMilli(startedMs)).abs()
                                .compareTo(START_TOLERANCE) <= 0)
                        .orElse(false))
                .map(handle -> new ProcessGroup(handle, isolated()));
    }

    public long pid() {
        return process.pid();
    }

    /** A job's stop: SIGTERM at once, SIGKILL after {@link #KILL_GRACE}; see {@link #terminate(ScheduledExecutorService, Duration, List)}. */
    public void terminate(ScheduledExecutorService timers) {
        terminate(timers, KILL_GRACE, List.of(Signal.TERM));
    }

    /**
     * Sends {@code first} to the group at once, then SIGKILL after {@code grace} to
     * whatever of it is left. All signals are sent from the timer thread, so a stop
     * never holds up the caller (the connection's reader) while a {@code kill} runs.
     */
    public void terminate(ScheduledExecutorService timers, Duration grace, List<Signal> first) {
        List<ProcessHandle> family = new CopyOnWriteArrayList<>();
        Runnable kill = () -> {
            signal(Signal.KILL);
            family.forEach(ProcessHandle::destroyForcibly);
        };
        try {
            timers.execute(() -> {
                family.addAll(process.descendants().toList());
                first.forEach(this::signal);
            });
            timers.schedule(kill, grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The agent has stopped: no timer to wait for the grace with.
            kill.run();
        }
    }

    /** Sends one signal to the group (or, without one, to the process and its descendants). */
    public void signal(Signal signal) {
        if (ownGroup && KILL.isPresent() && signalGroup(signal)) {
            return;
        }
        List<ProcessHandle> targets = new ArrayList<>(process.descendants().toList());
        targets.add(process);
        for (ProcessHandle target : targets) {
            if (signal == Signal.KILL) {
                target.destroyForcibly();
            } else {
                target.destroy();
            }
        }
    }

    private boolean signalGroup(Signal signal) {
        try {
            Process kill = new ProcessBuilder(KILL.get().toString(), "-" + signal.name(), "--", "-" + process.pid())
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
