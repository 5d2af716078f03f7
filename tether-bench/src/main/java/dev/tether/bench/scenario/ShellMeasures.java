package dev.tether.bench.scenario;

import dev.tether.bench.probe.CpuWindow;
import dev.tether.bench.probe.Footprint;
import dev.tether.bench.probe.ProcessProbe;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.terminal.Terminal;
import dev.tether.bench.terminal.TerminalOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * The three shell measures, one code path for both sides, each on a PTY
 * driven by typed shell commands. Markers are printed by {@code printf} from
 * an argument the shell computes ({@code $((40+2))}), so the echo of the
 * command line never contains them and a marker is always the command's
 * output.
 *
 * <ul>
 * <li>throughput: {@code printf START; head -c N /dev/zero | tr '\000' '\170'; printf END} (or NULs,
 *     without the {@code tr}, as {@code head -c N /dev/zero} alone sends them); the bytes
 *     between the markers are counted exactly (no newlines, so the terminal
 *     translates nothing), timed from the send to the arrival of the end;
 * <li>echo: {@code stty raw -echo; exec dd bs=1 count=K}, then one byte at a
 *     time, each sent once the previous one came back, timed from the send
 *     to its arrival (the reader's clock, not the waiting thread's);
 * <li>idle: N shells opened at once, each confirmed at its prompt, and the
 *     memory the side's processes hold before and after.
 * </ul>
 *
 * <p>Stateless; each method drives its own terminals.
 */
final class ShellMeasures {

    /** Typed to confirm a shell runs and reads its input: prints {@code <P42>}. */
    static final String PROMPT_PROBE = "printf '<%s>' P$((40+2))\r";
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    /** How long the idle shells are left before their memory is read. */
    static final Duration IDLE_SETTLE = Duration.ofSeconds(3);

    private ShellMeasures() {
    }

    /** Waits until the shell has run a command, so it is at its prompt and idle. */
    static void awaitPrompt(Terminal terminal, Duration timeout) throws Exception {
        TerminalOutput.Marker marker = terminal.output().expect("<P42>");
        terminal.type(PROMPT_PROBE);
        marker.await(timeout);
    }

    static Terminal openAtPrompt(ShellSide side, int slot) throws Exception {
        Terminal terminal = side.open(slot, STEP_TIMEOUT);
        try {
            awaitPrompt(terminal, STEP_TIMEOUT);
            return terminal;
        } catch (Exception e) {
            terminal.close();
            throw e;
        }
    }

    /** Ends a shell the way a user does: {@code exit}, then waits for the session to close. */
    static boolean exit(Terminal terminal) throws IOException, InterruptedException {
        try {
            terminal.type("exit\r");
            return terminal.awaitEnd(Duration.ofSeconds(10));
        } finally {
            terminal.close();
        }
    }

    /**
     * @param bytes the payload counted between the markers, exactly what was asked for
     * @param seconds from sending the command to the arrival of the end marker
     * @param serverCpuPercent the side's daemons, percent of one core over the run
     * @param clientCpuPercent this JVM plus the client process (ssh), percent of one core
     */
    record ThroughputRun(long bytes, double seconds, double serverCpuPercent, double clientCpuPercent) {

        double megabytesPerSecond() {
            return bytes / seconds / 1e6;
        }
    }

    /**
     * One run on a new shell. The side's copy of the session (Tether's
     * recording) is dropped after a run that counted right, and kept after
     * one that did not, to see where the bytes went.
     */
    static ThroughputRun throughput(ShellSide side, long bytes, boolean nul, Duration timeout) throws Exception {
        Terminal terminal = openAtPrompt(side, 0);
        boolean counted = false;
        try {
            ThroughputRun run = throughputOn(terminal, side, bytes, nul, timeout);
            counted = true;
            exit(terminal);
            return run;
        } finally {
            terminal.close();
            if (counted) {
                side.discard(terminal);
            }
        }
    }

    private static ThroughputRun throughputOn(Terminal terminal, ShellSide side, long bytes, boolean nul,
            Duration timeout) throws Exception {
        TerminalOutput out = terminal.output();
        TerminalOutput.Marker start = out.expect("<S42>");
        TerminalOutput.Marker end = out.expect("<E42>");
        CpuWindow server = CpuWindow.open(probes(side.daemons()));
        CpuWindow client = CpuWindow.open(probes(Stream.concat(Stream.of(ProcessHandle.current()),
                side.clientProcesses(terminal).stream()).toList()));
        String toText = nul ? "" : " | tr '\\000' '\\170'";
        long sent = System.nanoTime();
        terminal.type("printf '<%s>' S$((40+2)); head -c " + bytes + " /dev/zero" + toText + "; "
                + "printf '<%s>' E$((40+2))\r");
        TerminalOutput.Sighting first = start.await(STEP_TIMEOUT);
        TerminalOutput.Sighting last = end.await(timeout);
        double serverCpu = server.percent();
        double clientCpu = client.percent();
        long payload = last.offset() - (first.offset() + start.length());
        if (payload != bytes) {
            throw new IllegalStateException(terminal + ": " + payload + " bytes arrived between the markers, "
                    + bytes + " were written (the session's recording, if any, is kept)");
        }
        return new ThroughputRun(payload, (last.nanos() - sent) / 1e9, serverCpu, clientCpu);
    }

    private static List<ProcessProbe> probes(List<ProcessHandle> processes) {
        return processes.stream().map(p -> ProcessProbe.of(p.pid())).toList();
    }

    /**
     * @param micros round trips of the measured keystrokes (the warm-up ones left out)
     * @param echoed keystrokes whose echo came back as the byte sent, warm-up included
     * @param sent keystrokes sent, warm-up included
     */
    record EchoResult(Histogram micros, int echoed, int sent, boolean endedCleanly) {
    }

    /**
     * @param trace written with one line per measured keystroke: the wall clock in ms when it was sent, and its
     *     round trip in µs; shows whether a tail is spread out or comes in bursts (a compiler, a collection)
     */
    static EchoResult echo(ShellSide side, int keystrokes, int warmUp, Path trace) throws Exception {
        int total = warmUp + keystrokes;
        Terminal terminal = openAtPrompt(side, 0);
        try {
            TerminalOutput out = terminal.output();
            TerminalOutput.Marker ready = out.expect("<R42>");
            terminal.type("stty raw -echo; printf '<%s>' R$((40+2)); exec dd bs=1 count=" + total
                    + " status=none\r");
            TerminalOutput.Sighting sighting = ready.await(STEP_TIMEOUT);
            long base = sighting.offset() + ready.length();
            Histogram micros = new Histogram();
            int echoed = 0;
            byte[] key = new byte[1];
            StringBuilder lines = new StringBuilder("sent_ms\tround_trip_us\n");
            for (int i = 0; i < total; i++) {
                key[0] = (byte) ('a' + i % 26);
                out.expectTotal(base + i + 1);
                long sentMillis = System.currentTimeMillis();
                long sent = System.nanoTime();
                terminal.send(key);
                long back = out.awaitTotal(STEP_TIMEOUT);
                if (out.lastByte() == key[0]) {
                    echoed++;
                }
                if (i >= warmUp) {
                    micros.record((back - sent) / 1000);
                    lines.append(sentMillis).append('\t').append((back - sent) / 1000).append('\n');
                }
            }
            Files.writeString(trace, lines);
            // dd has read its count and exited, and with it the session.
            boolean ended = terminal.awaitEnd(Duration.ofSeconds(10)) && out.total() == base + total;
            return new EchoResult(micros, echoed, total, ended);
        } finally {
            terminal.close();
        }
    }

    /**
     * @param daemonsBefore the side's daemons before the shells were opened
     * @param daemonsAfter the same processes (and, for sshd, the new per-login ones) with every shell open
     * @param shellsAfter the shells' own processes
     * @param openSeconds to open them all and see every prompt
     * @param closedCleanly shells that ended on {@code exit} within 10 s
     */
    record IdleResult(int shells, Footprint daemonsBefore, Footprint shellsBefore, Footprint daemonsAfter,
            Footprint shellsAfter, double openSeconds, int closedCleanly) {

        Footprint daemonsAdded() {
            return daemonsAfter.minus(daemonsBefore);
        }

        Footprint shellsAdded() {
            return shellsAfter.minus(shellsBefore);
        }
    }

    static IdleResult idle(BenchRun bench, ShellSide side, int count, int concurrency) throws Exception {
        Footprint daemonsBefore = side.daemonFootprint();
        Footprint shellsBefore = side.shellFootprint();
        List<Terminal> open = new ArrayList<>();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, Thread.ofPlatform().daemon()
                .name("shell-open-", 0).factory());
        try {
            List<Future<Terminal>> opening = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int slot = i;
                opening.add(pool.submit(() -> openAtPrompt(side, slot)));
            }
            Exception failure = null;
            for (Future<Terminal> f : opening) {
                try {
                    open.add(f.get());
                } catch (ExecutionException e) {
                    failure = failure != null ? failure : new IOException(side.name() + ": opening idle shell "
                            + (open.size() + 1) + " of " + count + " failed: " + e.getCause().getMessage(), e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            double openSeconds = (System.nanoTime() - start) / 1e9;
            bench.out().printf("%s: %,d shells at their prompt in %.1f s%n", side.name(), count, openSeconds);
            bench.hold(IDLE_SETTLE);
            Footprint daemonsAfter = side.daemonFootprint();
            Footprint shellsAfter = side.shellFootprint();
            int clean = closeAll(pool, open);
            open.clear();
            return new IdleResult(count, daemonsBefore, shellsBefore, daemonsAfter, shellsAfter, openSeconds, clean);
        } finally {
            open.forEach(Terminal::close);
            pool.shutdownNow();
        }
    }

    /** Types {@code exit} in every shell, several at a time; how many ended in time. */
    private static int closeAll(ExecutorService pool, List<Terminal> terminals) throws InterruptedException {
        List<Future<Boolean>> closing = new ArrayList<>();
        for (Terminal t : terminals) {
            closing.add(pool.submit(() -> exit(t)));
        }
        int clean = 0;
        for (Future<Boolean> f : closing) {
            try {
                clean += f.get() ? 1 : 0;
            } catch (ExecutionException e) {
                // Counted as not clean; the terminal was closed regardless.
            }
        }
        return clean;
    }
}
