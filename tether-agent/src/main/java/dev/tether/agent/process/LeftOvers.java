package dev.tether.agent.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finds and stops what a job of an earlier agent process left running, so that
 * nothing runs on unsupervised once that job is reported lost.
 *
 * <p>Found: every process of this user whose environment holds
 * {@code TETHER_SPAWN_TOKEN=<the job's token>} (a random token recorded before
 * the spawn; children inherit it, even those that left the job's process group
 * or were reparented; a job recorded running by an agent older than the token
 * is looked for by {@code TETHER_JOB_ID} instead), and the recorded pid when its start time in clock ticks
 * since boot ({@link ProcFs#startTicks}) and the boot id are those recorded
 * after the spawn. Without {@code /proc} only the recorded pid can be checked,
 * against the recorded start time within {@link ProcessGroup#leftOver}'s tolerance.
 *
 * <p>Stopped: each found process's group (or the process and its descendants)
 * gets SIGTERM, then SIGKILL after the grace; {@link #stop} returns when they are
 * gone or a short wait after the SIGKILL ran out.
 *
 * <p>Stateless and thread safe; blocking.
 */
public final class LeftOvers {

    /** The variable exec jobs carry, which marks their processes. */
    public static final String SPAWN_TOKEN_VARIABLE = "TETHER_SPAWN_TOKEN";
    /** What an older agent's jobs carry; job ids are unique, but tests reuse theirs, hence the token. */
    private static final String JOB_ID_VARIABLE = "TETHER_JOB_ID";
    /** How long to wait for processes to go after the SIGKILL. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(2);

    /**
     * What a job recorded about its process.
     *
     * @param pid 0 when none was recorded (the agent died between the spawn and the record)
     * @param startTicks from {@link ProcFs#startTicks}, 0 when unknown
     * @param bootId from {@link ProcFs#bootId}, "" when unknown
     * @param startedMs agent clock when the job was marked running, 0 when it was not
     * @param spawnToken "" when none was recorded
     * @param legacy recorded running by an agent without spawn tokens: look for its job id
     */
    public record Trace(String jobId, long pid, long startTicks, String bootId, long startedMs, String spawnToken,
            boolean legacy) {
    }

    private LeftOvers() {
    }

    /** The pids of the processes the job left running, ascending. */
    public static List<Long> find(Trace trace) {
        TreeSet<Long> found = new TreeSet<>();
        if (ProcFs.available()) {
            if (!trace.spawnToken().isEmpty()) {
                found.addAll(ProcFs.withEnvironment(SPAWN_TOKEN_VARIABLE, trace.spawnToken()));
            } else if (trace.legacy()) {
                found.addAll(ProcFs.withEnvironment(JOB_ID_VARIABLE, trace.jobId()));
            }
            if (trace.pid() > 0 && trace.startTicks() > 0 && trace.bootId().equals(ProcFs.bootId())
                    && ProcFs.startTicks(trace.pid()).orElse(-1) == trace.startTicks()) {
                found.add(trace.pid());
            }
        } else if (trace.pid() > 0) {
            ProcessGroup.leftOver(trace.pid(), trace.startedMs()).ifPresent(group -> found.add(group.pid()));
        }
        return List.copyOf(found);
    }

    /** SIGTERM to each process's group, SIGKILL to what is left after {@code grace}; returns the pids signalled. */
    public static List<Long> stop(List<Long> pids, Duration grace) {
        List<ProcessHandle> alive = new ArrayList<>();
        for (long pid : pids) {
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(alive::add);
        }
        alive.forEach(process -> ProcessGroup.found(process).signal(ProcessGroup.Signal.TERM));
        if (!awaitExit(alive, grace)) {
            alive.stream().filter(ProcessHandle::isAlive)
                    .forEach(process -> ProcessGroup.found(process).signal(ProcessGroup.Signal.KILL));
            awaitExit(alive, AFTER_KILL);
        }
        return alive.stream().map(ProcessHandle::pid).toList();
    }

    /** Whether all of them exited within {@code timeout}. */
    private static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle process : processes) {
            try {
                process.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                // onExit does not fail; if it ever did, the SIGKILL that follows a false answer is harmless.
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
