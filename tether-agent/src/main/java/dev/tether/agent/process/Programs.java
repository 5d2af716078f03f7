package dev.tether.agent.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds out before starting an exec job or a shell whether its program can run.
 * Needed because neither fails clearly on its own: a job starts through
 * {@code setsid} and a shell through pty4j's fork and exec, so when the program
 * is missing it is the child that fails (exit 127), not the JDK with an error;
 * the lookup the shell would do is done here first.
 */
public final class Programs {

    private Programs() {
    }

    /**
     * Why {@code program} cannot be run, or null when it can.
     *
     * @param path the job's {@code PATH}
     * @param cwd the job's working directory, null for the agent's
     */
    public static String problem(String program, String path, File cwd) {
        if (program.isEmpty()) {
            return "cannot run an empty program name";
        }
        if (program.contains("/")) {
            Path file = cwd == null ? Path.of(program) : cwd.toPath().resolve(program);
            return runnable(file) ? null : "cannot run " + program + ": " + why(file);
        }
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty() && runnable(Path.of(dir, program))) {
                    return null;
                }
            }
        }
        return "cannot run " + program + ": no such file or directory in PATH (" + path + ")";
    }

    private static boolean runnable(Path file) {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }

    private static String why(Path file) {
        if (!Files.exists(file)) {
            return "no such file or directory";
        }
        return Files.isRegularFile(file) ? "permission denied (not executable)" : "not a regular file";
    }
}
