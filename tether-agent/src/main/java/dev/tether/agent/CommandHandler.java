package dev.tether.agent;

/**
 * Runs one job of a custom command type, registered with
 * {@link Agent#registerCommand(String, CommandHandler)}.
 *
 * <pre>{@code
 * agent.registerCommand("backup.run", ctx -> {
 *     ctx.stdout("backing up " + ctx.params() + "\n");
 *     long bytes = backup.run(ctx::cancelled);      // poll ctx.cancelled() in long loops
 *     return JobResult.success("{\"bytes\": " + bytes + "}");
 * });
 * }</pre>
 *
 * <p>Called on one of the agent's job threads (at most 16 jobs run at once, of
 * all types; up to 1000 more wait their turn), never on the connection's
 * threads. The job ends when this returns:
 * <ul>
 * <li>a {@link JobResult}: succeeded or failed as it says;
 * <li>an exception: failed, with the exception's message as the error;
 * <li>after a cancel or the job's timeout ({@link JobContext#cancelled()} became true):
 * cancelled or timed out, whatever it returns.
 * </ul>
 * A cancel or timeout interrupts the thread and runs the
 * {@link JobContext#onCancel(Runnable)} actions; a handler that ignores both
 * keeps its job slot until it returns.
 */
@FunctionalInterface
public interface CommandHandler {

    JobResult run(JobContext ctx) throws Exception;
}
