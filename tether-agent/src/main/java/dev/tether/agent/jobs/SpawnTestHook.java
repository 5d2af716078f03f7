package dev.tether.agent.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * TEST ONLY: lets a test stop the agent between spawning an exec job's process
 * and recording it ({@code markRunning}), the window in which a crash used to
 * leave a process running unsupervised. When the environment variable
 * {@value #VARIABLE} names a file, the agent writes the spawned pid there and
 * then parks the job's worker for good, so the test can kill -9 the agent in
 * exactly that window. Unset (always, outside tests) it does nothing; it is
 * removed from the jobs' own environment.
 */
public final class SpawnTestHook {

    /** The environment variable a test sets on an agent process; never set it in production. */
    public static final String VARIABLE = "TETHER_TEST_PARK_AFTER_SPAWN";

    private SpawnTestHook() {
    }

    static void afterSpawn(long pid) {
        String file = System.getenv(VARIABLE);
        if (file == null || file.isEmpty()) {
            return;
        }
        try {
            Path target = Path.of(file);
            Path written = Files.writeString(target.resolveSibling(target.getFileName() + ".tmp"), pid + "\n");
            Files.move(written, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        while (true) {
            LockSupport.park();
        }
    }
}
