package dev.tether.agent.jobs;

import dev.tether.agent.JobResult;

/**
 * The work of one command type, run on a job worker with the job's full
 * (internal) context: the built-in types, and custom {@link dev.tether.agent.CommandHandler}s
 * wrapped by {@link CommandRegistry}.
 */
interface JobWork {

    JobResult run(LiveJob job) throws Exception;

    /** Whether the work reports its own start ({@link LiveJob#started}); else the worker reports pid 0 first. */
    default boolean reportsStart() {
        return false;
    }

    /** Whether a cancel or timeout interrupts the worker thread (SDK handlers), besides the cancel actions. */
    default boolean interruptible() {
        return false;
    }
}
