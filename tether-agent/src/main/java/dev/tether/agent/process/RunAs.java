package dev.tether.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The user jobs and shells run as ({@code --run-as USER}) when it is not the
 * agent's own: the agent runs as root and starts each child through
 * {@code setpriv --reuid=UID --regid=GID --init-groups --}, which switches the
 * real, effective and saved ids and the supplementary groups before it execs the
 * program (same pid, so process groups and signals work as without it). The
 * child then cannot read what only root may: the state dir with the agent's key
 * and database (checked at start with {@link #refuseAccessTo}), a key file, nor
 * {@code /proc/<agent pid>/environ} (the kernel lets only the same user, or a
 * privileged one, read another process's environment).
 *
 * <p>A PTY shell also gets its terminal: the slave device belongs to root when
 * pty4j opens it, so, like {@code sshd}, a root {@code sh} gives it to the user
 * ({@code chown}) before it execs {@code setpriv}.
 *
 * @param user the user name
 * @param uid its numeric user id
 * @param gid its primary group id
 * @param home its home directory (from {@code /etc/passwd} or NSS)
 * @param shell its login shell
 */
public record RunAs(String user, long uid, long gid, String home, String shell) {

    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final long CHECK_TIMEOUT_SECONDS = 10;

    /**
     * Looks {@code user} up ({@code getent passwd}, else {@code /etc/passwd}) and checks
     * that this process can switch to it.
     *
     * @throws IllegalArgumentException naming what is wrong and what to do: unknown user, not root, no setpriv
     */
    public static RunAs resolve(String user) {
        if (user == null || user.isBlank() || user.startsWith("-")) {
            throw new IllegalArgumentException("--run-as needs a user name, e.g. --run-as tether-jobs");
        }
        String[] entry = passwdEntry(user);
        if (entry == null) {
            throw new IllegalArgumentException("--run-as " + user + ": no such user; create it (useradd --system "
                    + user + ") or name an existing one");
        }
        if (currentUid() != 0) {
            throw new IllegalArgumentException("--run-as " + user + " needs the agent to run as root: it switches "
                    + "to " + user + " for each job and shell. Start the agent as root, or drop --run-as");
        }
        if (!Files.isExecutable(SETPRIV)) {
            throw new IllegalArgumentException("--run-as needs " + SETPRIV + " (util-linux) to switch users; "
                    + "install util-linux");
        }
        RunAs runAs = new RunAs(user, Long.parseLong(entry[2]), Long.parseLong(entry[3]), entry[5], entry[6]);
        if (runAs.uid() == 0) {
            throw new IllegalArgumentException("--run-as " + user + " is root (uid 0): name an unprivileged user");
        }
        return runAs;
    }

    /** {@code argv} as run by this user: {@code setpriv ... -- argv}. */
    public List<String> command(List<String> argv) {
        List<String> command = new ArrayList<>(argv.size() + 5);
        command.addAll(List.of(SETPRIV.toString(), "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        command.addAll(argv);
        return command;
    }

    /** As {@link #command}, for a PTY child: its terminal is first given to the user, as a login would. */
    public List<String> terminalCommand(List<String> argv) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                "chown \"$1\" \"$(tty)\" 2>/dev/null; shift; exec \"$@\"", "sh", Long.toString(uid)));
        command.addAll(command(argv));
        return command;
    }

    /**
     * Refuses to go on when this user can read or enter {@code path} (the state dir, a key file):
     * checked by really trying as the user, so groups and ACLs count.
     *
     * @throws IllegalArgumentException saying how to close it
     */
    public void refuseAccessTo(Path path) throws IOException, InterruptedException {
        if (path == null || !Files.exists(path)) {
            return;
        }
        String absolute = path.toAbsolutePath().toString();
        Process test = new ProcessBuilder(command(List.of("/bin/sh", "-c", "test -r \"$1\" || test -x \"$1\"",
                "sh", absolute)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!test.waitFor(CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            test.destroyForcibly();
            throw new IOException("could not check whether " + user + " can read " + absolute);
        }
        if (test.exitValue() == 0) {
            throw new IllegalArgumentException("--run-as " + user + ": " + user + " can read " + absolute
                    + ", which holds the agent's key; make it readable by root only (chmod 700 a directory, "
                    + "600 a file, owned by root)");
        }
    }

    private static String[] passwdEntry(String user) {
        String line = getent(user);
        if (line == null) {
            line = fromEtcPasswd(user);
        }
        if (line == null) {
            return null;
        }
        String[] fields = line.split(":", -1);
        return fields.length >= 7 && fields[0].equals(user) ? fields : null;
    }

    private static String getent(String user) {
        try {
            Process getent = new ProcessBuilder("getent", "passwd", user).redirectErrorStream(true).start();
            String out = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return getent.waitFor(CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS) && getent.exitValue() == 0
                    && !out.isEmpty() ? out.lines().findFirst().orElse(null) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String fromEtcPasswd(String user) {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.filter(line -> line.startsWith(user + ":")).findFirst().orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The effective uid of this process: the owner of {@code /proc/self}. */
    static long currentUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : -1;
        }
    }
}
