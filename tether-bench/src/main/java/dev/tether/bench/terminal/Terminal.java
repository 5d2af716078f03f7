package dev.tether.bench.terminal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One interactive shell on a remote PTY, seen from the client: bytes typed
 * in, output counted by a {@link TerminalOutput}. The two implementations, a
 * Tether terminal WebSocket and an {@code ssh -tt} process, are driven by the
 * same measuring code, so the figures differ only by the transport.
 *
 * <p>{@link #send} is called by one thread at a time; {@link #close} from any.
 */
public interface Terminal extends AutoCloseable {

    /** What this terminal has received. */
    TerminalOutput output();

    /** Sends bytes as keystrokes; returns once the transport has taken them. */
    void send(byte[] bytes) throws IOException, InterruptedException;

    default void type(String text) throws IOException, InterruptedException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Waits until the remote program has ended and the transport closed; false if it has not within the timeout. */
    boolean awaitEnd(Duration timeout) throws InterruptedException;

    /** Ends the session now, whatever runs in it. Idempotent. */
    @Override
    void close();
}
