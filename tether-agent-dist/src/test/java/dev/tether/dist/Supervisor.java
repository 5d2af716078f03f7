package dev.tether.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a process running as the agent's systemd unit does ({@code Restart=on-failure},
 * {@code RestartForceExitStatus=75}): started again a second after it exits with anything but 0 or 143 (a clean
 * stop on SIGTERM), at most {@code maxStarts} times.
 *
 * <p>Thread safe: one thread of its own restarts; {@link #close} stops it and the process.
 */
final class Supervisor implements AutoCloseable {

    interface Start {
        Process start() throws IOException;
    }

    private final Start start;
    private final int maxStarts;
    private final AtomicInteger starts = new AtomicInteger();
    private final Thread thread;
    private volatile Process current;
    private volatile boolean closed;

    Supervisor(Start start, int maxStarts) throws IOException {
        this.start = start;
        this.maxStarts = maxStarts;
        this.current = launch();
        this.thread = new Thread(this::run, "supervisor");
        thread.setDaemon(true);
        thread.start();
    }

    private Process launch() throws IOException {
        starts.incrementAndGet();
        return start.start();
    }

    private void run() {
        try {
            while (!closed) {
                int exit = current.waitFor();
                if (closed || exit == 0 || exit == 143 || starts.get() >= maxStarts) {
                    return;
                }
                Thread.sleep(1000);
                if (!closed) {
                    current = launch();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int starts() {
        return starts.get();
    }

    Process current() {
        return current;
    }

    /** Stops restarting and the process (SIGTERM); true when it stopped within 20 s. */
    boolean stop() throws InterruptedException {
        closed = true;
        thread.interrupt();
        Process process = current;
        process.destroy();
        return process.waitFor(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (!closed && !stop()) {
            current.destroyForcibly();
        }
    }
}
