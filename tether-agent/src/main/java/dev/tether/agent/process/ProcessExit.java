package dev.tether.agent.process;

/** Waiting for a child process to exit, which nothing may cut short: its exit status must be collected. */
public final class ProcessExit {

    private ProcessExit() {
    }

    /**
     * The process's exit status, once it has exited. An interrupt does not end the wait: it runs
     * {@code onInterrupt} (e.g. to stop the process) and waits on; the thread's interrupt status is set again
     * on return.
     */
    public static int await(Process process, Runnable onInterrupt) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return process.waitFor();
                } catch (InterruptedException e) {
                    interrupted = true;
                    onInterrupt.run();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
