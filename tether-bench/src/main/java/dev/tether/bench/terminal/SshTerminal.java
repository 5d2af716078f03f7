package dev.tether.bench.terminal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A terminal through OpenSSH: the real {@code ssh} client with {@code -tt}
 * (a PTY on the server although our side is a pipe), its standard input and
 * output piped to this process. One platform thread per terminal reads the
 * output into the {@link TerminalOutput}; it ends when ssh closes its output.
 *
 * <p>Thread safe: {@link #send} writes under the stream's own lock.
 */
public final class SshTerminal implements Terminal {

    /** Platform threads for a thousand idle terminals: small stacks, they only read. */
    private static final long READER_STACK_BYTES = 256 * 1024;
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final Process process;
    private final OutputStream stdin;
    private final TerminalOutput output = new TerminalOutput();
    private final Thread reader;

    private SshTerminal(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.reader = Thread.ofPlatform().daemon().name("ssh-terminal-" + process.pid())
                .stackSize(READER_STACK_BYTES).unstarted(this::read);
    }

    /**
     * Starts {@code ssh} with the given command line; its standard error is appended to {@code stderrLog}.
     */
    public static SshTerminal start(List<String> command, Path stderrLog) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        // What the remote side's TERM becomes; the same as Tether's default.
        builder.environment().put("TERM", "xterm-256color");
        SshTerminal terminal = new SshTerminal(builder.start());
        terminal.reader.start();
        return terminal;
    }

    public long pid() {
        return process.pid();
    }

    private void read() {
        byte[] buffer = new byte[READ_BUFFER_BYTES];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                output.accept(buffer, 0, n);
            }
            output.end("ssh closed its output");
        } catch (IOException e) {
            output.end("reading ssh's output failed: " + e.getMessage());
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
        return "ssh pid " + process.pid();
    }
}
