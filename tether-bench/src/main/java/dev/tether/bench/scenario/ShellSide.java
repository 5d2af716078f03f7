package dev.tether.bench.scenario;

import dev.tether.bench.probe.Footprint;
import dev.tether.bench.terminal.Terminal;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One side of the shell comparison (Tether, or OpenSSH): opens interactive
 * login shells and says which processes hold the side's memory, split into
 * the daemons (server and agents; every sshd) and the shells they run.
 * Measured by {@link ShellMeasures}, the same code for both.
 */
interface ShellSide extends AutoCloseable {

    /** "Tether" or "OpenSSH", for tables. */
    String name();

    /**
     * Opens a new interactive login shell; returns once the session runs (its
     * prompt is not yet confirmed: see {@link ShellMeasures#awaitPrompt}).
     *
     * @param slot which shell this is, 0 first: spreads shells over agents
     */
    Terminal open(int slot, Duration timeout) throws Exception;

    /** The daemon processes now: the Tether server and agents, or the sshd listener and its login processes. */
    List<ProcessHandle> daemons();

    /** The shell processes now, and whatever they started. */
    List<ProcessHandle> shells();

    /** The process on the client's side besides this JVM, such as the {@code ssh} client; none for Tether. */
    default List<ProcessHandle> clientProcesses(Terminal terminal) {
        return List.of();
    }

    default Footprint daemonFootprint() {
        return Footprint.of(daemons());
    }

    default Footprint shellFootprint() {
        return Footprint.of(shells());
    }

    /** Drops what the side kept of an ended session (Tether: its recording, a copy of every byte of output). */
    default void discard(Terminal terminal) throws IOException {
    }

    /** Drops what the side kept of every session started at or after {@code start}. */
    default void discardSince(Instant start) throws IOException {
    }

    @Override
    default void close() {
    }
}
