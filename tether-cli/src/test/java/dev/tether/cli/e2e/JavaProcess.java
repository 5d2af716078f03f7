package dev.tether.cli.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real JVM process running the tether CLI (or another main class) from the
 * test class path, its output captured to a log file under target/e2e-logs.
 */
class JavaProcess implements AutoCloseable {

    static final Path LOG_ROOT = Path.of("target", "e2e-logs");

    private final String name;
    private final Path log;
    private final Process process;

    private JavaProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    static JavaProcess start(String name, Path logDir, Map<String, String> env, String mainClass, List<String> args)
            throws IOException {
        return start(name, logDir, env, mainClass, args, null);
    }

    /** As above, with standard input read from {@code stdin} when it is not null. */
    static JavaProcess start(String name, Path logDir, Map<String, String> env, String mainClass, List<String> args,
            Path stdin) throws IOException {
        return start(name, logDir, env, mainClass, args, stdin, List.of());
    }

    /**
     * As above, the JVM's command line given to {@code prefix}, a command that runs what follows it in the same
     * process ({@link #underUmask}, {@code exec "$@"}), so the pid is the JVM's.
     */
    static JavaProcess start(String name, Path logDir, Map<String, String> env, String mainClass, List<String> args,
            Path stdin, List<String> prefix) throws IOException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        List<String> command = new ArrayList<>(prefix);
        command.addAll(javaCommand(mainClass, args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        if (stdin != null) {
            builder.redirectInput(stdin.toFile());
        }
        builder.environment().remove("TETHER_AGENT_KEY");
        builder.environment().remove("TETHER_ADMIN_TOKEN");
        builder.environment().remove("TETHER_TOKEN");
        builder.environment().remove("TETHER_DB_PASSWORD");
        builder.environment().remove("TETHER_URL");
        builder.environment().remove("TETHER_PROFILE");
        builder.environment().remove("TETHER_CA_FILE");
        // The CLI keeps its profiles under XDG_CONFIG_HOME: never the real ~/.config of whoever runs the tests.
        builder.environment().put("XDG_CONFIG_HOME", logDir.resolve("config").toAbsolutePath().toString());
        builder.environment().putAll(env);
        return new JavaProcess(name, log, builder.start());
    }

    /** A prefix for {@link #start} that runs the JVM under {@code umask}. */
    static List<String> underUmask(String umask) {
        return List.of("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh");
    }

    /** The JVM's command line for {@code mainClass} from the test class path, as every process here runs it. */
    static List<String> javaCommand(String mainClass, List<String> args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED"));
        if (Fleet.MAIN.equals(mainClass) && !args.isEmpty() && args.get(0).equals("agent")) {
            command.addAll(ClassArchives.options(ClassArchives.Kind.AGENT, classPath()));
        } else if (Fleet.MAIN.equals(mainClass)) {
            command.addAll(ClassArchives.options(ClassArchives.Kind.SERVER, classPath()));
        } else {
            command.addAll(List.of("-cp", classPath()));
        }
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    /** Prepares how agent and server processes start (see {@link ClassArchives}); call before timing one. */
    static void prepareStarts() {
        ClassArchives.options(ClassArchives.Kind.AGENT, classPath());
        ClassArchives.options(ClassArchives.Kind.SERVER, classPath());
    }

    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    Path log() {
        return log;
    }

    private static final Pattern LISTENING = Pattern.compile("listening on https?://[^\\s:]+:(\\d+)");

    void awaitOutput(String text, Duration timeout) {
        await(name + " prints '" + text + "'").atMost(timeout).pollInterval(Duration.ofMillis(20))
                .until(() -> output().contains(text) || !process.isAlive());
        if (!output().contains(text)) {
            throw new AssertionError(name + " exited (" + process.exitValue() + ") without printing '" + text
                    + "'; output:\n" + output());
        }
    }

    /**
     * The port this server process bound, from its "listening on" line (servers under test listen on port 0,
     * so no port is guessed free beforehand); null until it has logged it.
     */
    Integer listeningPort() {
        Matcher listening = LISTENING.matcher(output());
        return listening.find() ? Integer.valueOf(listening.group(1)) : null;
    }

    /** Waits for {@link #listeningPort()}; fails with the output if the process exits first. */
    int awaitListeningPort(Duration timeout) {
        awaitOutput("listening on ", timeout);
        Integer port = listeningPort();
        if (port == null) {
            throw new AssertionError(name + " logged no port it listens on; output:\n" + output());
        }
        return port;
    }

    boolean alive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits for a clean exit; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError(name + " did not stop within 15 s of SIGTERM");
        }
        return process.exitValue();
    }

    int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still running after " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
