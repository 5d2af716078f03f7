package dev.tether.bench.scenario;

import dev.tether.bench.peer.OpenSshServer;
import dev.tether.bench.terminal.ProcessTerminal;
import dev.tether.bench.terminal.Terminal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The OpenSSH side: logins with the real {@code ssh -tt} client to the
 * bench's sshd, each running the same login shell as Tether's agents
 * ({@code exec SHELL -l}, so no extra shell stays between sshd and it). The
 * daemons are every sshd process (the listener, and the monitor and session
 * processes of each login); the shells are the other processes under them.
 * Thread safe.
 */
final class SshSide implements ShellSide {

    private final OpenSshServer sshd;
    private final String shell;
    private final Path clientLog;
    private final String sshdCommand;

    SshSide(OpenSshServer sshd, String shell, Path clientLog) {
        this.sshd = sshd;
        this.shell = shell;
        this.clientLog = clientLog;
        this.sshdCommand = sshd.sshd().toString();
    }

    @Override
    public String name() {
        return "OpenSSH";
    }

    @Override
    public Terminal open(int slot, Duration timeout) throws Exception {
        return ProcessTerminal.start(clientCommand(), Map.of(), clientLog);
    }

    /** The {@code ssh -tt} command line of one login. */
    List<String> clientCommand() {
        return sshd.clientCommand("exec " + shell + " -l");
    }

    private Stream<ProcessHandle> tree() {
        Optional<ProcessHandle> listener = ProcessHandle.of(sshd.pid());
        return listener.stream().flatMap(l -> Stream.concat(Stream.of(l), l.descendants()));
    }

    private boolean isSshd(ProcessHandle p) {
        return p.info().command().map(sshdCommand::equals).orElse(false);
    }

    @Override
    public List<ProcessHandle> daemons() {
        return tree().filter(this::isSshd).toList();
    }

    @Override
    public List<ProcessHandle> shells() {
        return tree().filter(p -> !isSshd(p)).toList();
    }

    @Override
    public List<ProcessHandle> clientProcesses(Terminal terminal) {
        return terminal instanceof ProcessTerminal ssh ? ProcessHandle.of(ssh.pid()).stream().toList() : List.of();
    }
}
