package dev.tether.bench.scenario;

import dev.tether.bench.terminal.ProcessTerminal;
import dev.tether.bench.terminal.Terminal;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * A side seen the way a user sees it: the real client program ({@code tether
 * shell}, or {@code ssh -tt}) inside {@code script}, which gives it a PTY as a
 * terminal emulator would, so the client sets raw mode and writes its output
 * to a terminal, and the bench reads what reached that terminal. The daemons
 * and shells are those of the side it wraps; the client processes are
 * {@code script} and everything under it (the CLI's JVM, or ssh). Measured for
 * throughput and echo only: a thousand idle CLIs would measure a thousand JVMs.
 * Thread safe.
 */
final class ScriptSide implements ShellSide {

    private final String name;
    private final ShellSide server;
    private final IntFunction<List<String>> client;
    private final Map<String, String> environment;
    private final Path clientLog;

    /**
     * @param server the side whose daemons serve the shells
     * @param client the client's command line for a shell in slot N
     * @param environment the client's extra environment (the CLI's token)
     */
    ScriptSide(String name, ShellSide server, IntFunction<List<String>> client, Map<String, String> environment,
            Path clientLog) {
        this.name = name;
        this.server = server;
        this.client = client;
        this.environment = environment;
        this.clientLog = clientLog;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Terminal open(int slot, Duration timeout) throws IOException {
        return ProcessTerminal.start(ProcessTerminal.inScript(client.apply(slot)), environment, clientLog);
    }

    @Override
    public List<ProcessHandle> daemons() {
        return server.daemons();
    }

    @Override
    public List<ProcessHandle> shells() {
        return server.shells();
    }

    @Override
    public List<ProcessHandle> clientProcesses(Terminal terminal) {
        return terminal instanceof ProcessTerminal process ? ProcessHandle.of(process.pid())
                .map(script -> Stream.concat(Stream.of(script), script.descendants()).toList()).orElse(List.of())
                : List.of();
    }

    /** What the server kept of the session: the client does not say which it was, so whatever is newer. */
    @Override
    public void discard(Terminal terminal) throws IOException {
        if (terminal instanceof ProcessTerminal process) {
            server.discardSince(process.started());
        }
    }
}
