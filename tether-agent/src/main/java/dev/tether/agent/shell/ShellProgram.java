package dev.tether.agent.shell;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import dev.tether.agent.ShellSettings;
import dev.tether.agent.process.ChildEnvironment;
import dev.tether.agent.process.Programs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a shell session runs and how: the program, its environment and working
 * directory, started on a new PTY by pty4j.
 *
 * <ul>
 * <li>Program: {@code ShellOpen.command} when not empty (run as given); else the
 * configured {@code --shell}; else the user's login shell ({@code $SHELL}, else the
 * user's {@code /etc/passwd} entry, else {@code /bin/sh}). A configured or login
 * shell that is a known Unix shell runs as a login shell ({@code -l}), as over SSH.
 * <li>User: the agent's, or with {@code --run-as USER} that user (whose login shell is then the
 * default, and whose {@code HOME}, {@code USER}, {@code LOGNAME} and {@code SHELL} are set).
 * <li>Environment: the agent's, less the agent key ({@link ChildEnvironment}),
 * with {@code TERM} from the open (default {@value #DEFAULT_TERM}) and
 * {@code HOME}, {@code USER}, {@code LOGNAME} and {@code SHELL} filled in when the
 * agent's environment lacks them (a service manager may start it without).
 * <li>Working directory: the user's home, else {@code /}.
 * <li>PTY: pty4j forks the child as the leader of a new session, with the PTY as
 * its controlling terminal, so its pid is its process group id. The child is first a
 * {@code /bin/sh} that sets the terminal's size and then execs the program.
 * </ul>
 *
 * <p>Thread safe: immutable.
 */
final class ShellProgram {

    static final String DEFAULT_TERM = "xterm-256color";

    private static final Set<String> LOGIN_SHELLS =
            Set.of("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "tcsh", "csh");
    private static final Path PASSWD = Path.of("/etc/passwd");
    private static final String FALLBACK_SHELL = "/bin/sh";
    /** pty4j unpacks its native library into a folder of this directory (else a new one in /tmp per start). */
    private static final String PTY4J_TMPDIR = "pty4j.tmpdir";
    private static final String PTY4J_NATIVE_FOLDER = "pty4j.preferred.native.folder";

    /**
     * Sets the terminal's size from inside the child, then becomes the program (same pid). pty4j sets the size
     * it was given only after the fork, so a program that asks at once ({@code stty size}, {@code top}) could
     * see a 0x0 terminal; stty is looked up on PATH, then where systems keep it.
     */
    private static final String SIZE_THEN_EXEC = "for s in stty /bin/stty /usr/bin/stty; do "
            + "\"$s\" rows \"$1\" cols \"$2\" 2>/dev/null && break; done; shift 2; exec \"$@\"";

    private final List<String> shell;
    private final ChildEnvironment children;

    private ShellProgram(List<String> shell, ChildEnvironment children) {
        this.shell = shell;
        this.children = children;
    }

    /**
     * The program of {@code settings}, or the login shell of the user shells run as; the key is kept
     * out of every environment.
     */
    static ShellProgram create(ShellSettings settings, ChildEnvironment children) {
        String program = settings.program() != null ? settings.program()
                : children.runAs() != null ? children.runAs().shell() : loginShell();
        String base = Path.of(program).getFileName().toString();
        List<String> argv = LOGIN_SHELLS.contains(base) ? List.of(program, "-l") : List.of(program);
        return new ShellProgram(argv, children);
    }

    /**
     * Has pty4j unpack its native library under {@code stateDir} (checked and reused
     * on every start) rather than in a new directory under {@code /tmp} each time,
     * unless the embedding application chose a place already.
     */
    static void unpackNativeCodeIn(Path stateDir) {
        if (System.getProperty(PTY4J_TMPDIR) == null && System.getProperty(PTY4J_NATIVE_FOLDER) == null) {
            System.setProperty(PTY4J_TMPDIR, stateDir.toAbsolutePath().toString());
        }
    }

    /** The argv of a session: {@code command} when not empty, else the shell. */
    List<String> argv(List<String> command) {
        return command.isEmpty() ? shell : command;
    }

    /** Why {@code argv} cannot be started, or null when it can. */
    String problem(List<String> argv) {
        return Programs.problem(argv.get(0), System.getenv("PATH"), null);
    }

    /**
     * Starts {@code argv} on a new PTY of {@code rows} x {@code cols}.
     *
     * @throws IOException when no PTY can be had or the fork fails
     */
    PtyProcess start(List<String> argv, String term, int rows, int cols) throws IOException {
        Map<String, String> env = environment(term);
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", SIZE_THEN_EXEC, "tether-shell",
                Integer.toString(rows), Integer.toString(cols)));
        command.addAll(children.terminalCommand(argv));
        return new PtyProcessBuilder(command.toArray(String[]::new))
                .setEnvironment(env)
                .setDirectory(workingDirectory(env.get("HOME")))
                .setInitialRows(rows)
                .setInitialColumns(cols)
                .setRedirectErrorStream(true)
                .start();
    }

    Map<String, String> environment(String term) {
        Map<String, String> env = new HashMap<>(System.getenv());
        children.apply(env);
        env.put("TERM", term.isEmpty() ? DEFAULT_TERM : term);
        String user = System.getProperty("user.name", "");
        env.putIfAbsent("HOME", System.getProperty("user.home", "/"));
        env.putIfAbsent("USER", user);
        env.putIfAbsent("LOGNAME", user);
        env.putIfAbsent("SHELL", shell.get(0));
        return env;
    }

    private static String workingDirectory(String home) {
        return home != null && Files.isDirectory(Path.of(home)) ? home : "/";
    }

    /** {@code $SHELL}, else the user's {@code /etc/passwd} shell, else {@code /bin/sh}; the first that can run. */
    static String loginShell() {
        String fromEnv = System.getenv("SHELL");
        if (runnable(fromEnv)) {
            return fromEnv;
        }
        String fromPasswd = passwdShell(System.getProperty("user.name", ""));
        return runnable(fromPasswd) ? fromPasswd : FALLBACK_SHELL;
    }

    private static boolean runnable(String program) {
        return program != null && program.startsWith("/") && Programs.problem(program, null, null) == null;
    }

    private static String passwdShell(String user) {
        try (Stream<String> lines = Files.lines(PASSWD)) {
            return lines.map(line -> line.split(":", -1))
                    .filter(fields -> fields.length >= 7 && fields[0].equals(user))
                    .map(fields -> fields[6])
                    .findFirst().orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
