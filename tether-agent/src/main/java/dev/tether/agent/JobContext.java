package dev.tether.agent;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@link CommandHandler} knows about the job it runs, and how it reports
 * output and learns of cancellation.
 *
 * <p>Output written with {@link #stdout} and {@link #stderr} is coalesced into
 * reliable job output events (at most 32 KiB each, sent at 32 KiB or every
 * 100 ms), durable before they are sent. A job's output is capped at 16 MiB;
 * after that one "[tether: output truncated at 16 MiB]" chunk is sent and the
 * rest is dropped.
 *
 * <p>Thread safe: output, {@link #cancelled()} and {@link #onCancel} may be used
 * from any thread the handler starts.
 */
public interface JobContext {

    /** The job's id, {@code job_...}: one job per agent and command. */
    String jobId();

    /** The command's id, {@code cmd_...}. */
    String commandId();

    /** The command type, e.g. {@code backup.run}. */
    String type();

    /** The command's parameters, a UTF-8 JSON document; {@code {}} when it has none. */
    String params();

    /** The process spec of an {@code exec} command; empty lists and a null cwd for other types. */
    Exec exec();

    /** When the job's execution timeout runs out; empty when it has none. */
    Optional<Instant> deadline();

    void stdout(String text);

    void stdout(byte[] data);

    void stderr(String text);

    void stderr(byte[] data);

    /** Whether the job was cancelled or timed out: stop as soon as you can. */
    boolean cancelled();

    /**
     * Runs {@code action} when the job is cancelled or times out (at once, on the
     * calling thread, if it already was). Actions run on the agent's threads:
     * keep them short, e.g. close a socket or signal a worker.
     */
    void onCancel(Runnable action);

    /**
     * The process spec of an {@code exec} command.
     *
     * @param argv the program and its arguments
     * @param env variables added to the agent's environment
     * @param cwd the working directory, null for the agent's own
     */
    record Exec(List<String> argv, Map<String, String> env, String cwd) {

        public Exec {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }
    }
}
