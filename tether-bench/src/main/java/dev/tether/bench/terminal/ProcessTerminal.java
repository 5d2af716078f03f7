package dev.tether.bench.terminal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A terminal through a client program, its standard input and output piped to
 * this process: the real {@code ssh -tt} client (a PTY on the server although
 * our side is a pipe), or a client inside {@code script}, which gives it a PTY
 * of its own as a user's terminal would ({@link #inScript}). One platform
 * thread per terminal reads the output into the {@link TerminalOutput}; it
 * ends when the client closes its output.
 *
 * <p>Thread safe: {@link #send} writes under the stream's own lock.
 */
public final class ProcessTerminal implements Terminal {

    /** Platform threads for a thousand idle terminals: small stacks, they only read. */
    private static final long READER_STACK_BYTES = 256 * 1024;
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final Process process;
    private final OutputStream stdin;
    private final TerminalOutput output = new TerminalOutput();
    private final Thread reader;
    private final Instant started = Instant.now();

    private ProcessTerminal(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.reader = Thread.ofPlatform().daemon().name("ssh-terminal-" + process.pid())
                .stackSize(READER_STACK_BYTES).unstarted(this::read);
    }

    /**
     * Starts the client with the given command line; its standard error is appended to {@code stderrLog}.
     *
     * @param environment added to this process's environment, besides {@code TERM=xterm-256color}
     */
    public static ProcessTerminal start(List<String> command, Map<String, String> environment, Path stderrLog)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        // What the remote side's TERM becomes; the same as Tether's default.
        builder.environment().put("TERM", "xterm-256color");
        builder.environment().putAll(environment);
        ProcessTerminal terminal = new ProcessTerminal(builder.start());
        terminal.reader.start();
        return terminal;
    }

    /**
     * The command line that runs {@code client} inside {@code script -qec CMD /dev/null}: the client gets a PTY
     * (script's), sets it to raw mode as on a user's terminal, and everything it writes there comes out of
     * script's standard output, which is this process's pipe.
     */
    public static List<String> inScript(List<String> client) {
        return List.of("script", "-qec", String.join(" ", client.stream().map(ProcessTerminal::quote).toList()),
                "/dev/null");
    }

    /** {@code word} as one word for {@code sh -c}, in single quotes unless it needs none. */
    static String quote(String word) {
        return word.matches("[A-Za-z0-9_@%+=:,./-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    public long pid() {
        return process.pid();
    }

    /** When the client was started: what the remote side made of its session is newer. */
    public Instant started() {
        return started;
    }

    private void read() {
        byte[] buffer = new byte[READ_BUFFER_BYTES];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                output.accept(buffer, 0, n);
            }
            output.end("the client closed its output");
        } catch (IOException e) {
            output.end("reading the client's output failed: " + e.getMessage());
        }
    }

    @Override
    public TerminalOutput output() {
        return output;
    }

    @Override
    public void send(byte[] bytes) throws IOException {
        stdin.write(bytes);
        stdin.flush();
    }

    @Override
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (exited) {
            reader.join(STOP_GRACE.toMillis());
        }
        return exited;
    }

    /** Stops the client (SIGTERM, then SIGKILL): the server sees the connection close and hangs the shell up. */
    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // Already gone.
        }
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "client pid " + process.pid();
    }
}
