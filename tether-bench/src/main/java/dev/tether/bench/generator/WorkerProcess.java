package dev.tether.bench.generator;

import dev.tether.bench.report.Json;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A generator in a child JVM, so a fleet larger than one process's
 * open-files limit can be simulated. The child runs
 * {@code BenchCommand worker --spec FILE} ({@link Worker}); this side writes
 * one command per line on its stdin and reads one reply line from its stdout
 * (see {@link Worker} for the protocol). The child's log goes to a file.
 *
 * <p>Thread safe: one request at a time (synchronized).
 */
public final class WorkerProcess implements Generator {

    private static final long EXIT_GRACE_MILLIS = 10_000;

    private final Process process;
    private final int size;
    private final Writer commands;
    private final BufferedReader replies;

    private WorkerProcess(Process process, int size) {
        this.process = process;
        this.size = size;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Starts a child JVM with this JVM's class path.
     *
     * @param workDir where the spec file and the child's log go
     * @param index the generator's number, for file names
     */
    public static WorkerProcess start(WorkerSpec spec, Path workDir, int index, List<String> jvmOptions)
            throws IOException {
        Files.createDirectories(workDir);
        Path specFile = workDir.resolve("generator-" + index + ".spec.json");
        spec.write(specFile);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Netty's epoll transport loads a native library.
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.tether.bench.BenchCommand",
                "worker", "--spec", specFile.toString()));
        Path log = workDir.resolve("generator-" + index + ".log");
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        WorkerProcess worker = new WorkerProcess(process, spec.agents().size());
        // The child has read its spec: the keys it holds need not stay on disk.
        worker.request("ready");
        Files.deleteIfExists(specFile);
        return worker;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void connect(int count) {
        request("connect " + count);
    }

    @Override
    public void publish(long perAgent, long pendingLimit) {
        request("publish " + size + " " + perAgent + " " + pendingLimit);
    }

    @Override
    public void publish(int agents, long perAgent, long pendingLimit) {
        request("publish " + agents + " " + perAgent + " " + pendingLimit);
    }

    @Override
    public void markCommands(long epochMicros) {
        request("mark-commands " + epochMicros);
    }

    @Override
    public FleetSnapshot snapshot() {
        String reply = request("snapshot");
        return FleetSnapshot.fromJson(Json.parseObject(reply));
    }

    @Override
    public synchronized void close() {
        if (!process.isAlive()) {
            return;
        }
        try {
            commands.write("close\n");
            commands.flush();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(EXIT_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Sends one command and returns the reply after "ok " (empty for a bare "ok"). */
    private synchronized String request(String command) {
        try {
            commands.write(command + "\n");
            commands.flush();
            String reply = replies.readLine();
            if (reply == null) {
                throw new IOException("generator process " + process.pid() + " exited (" + exitCode()
                        + ") during '" + command + "'");
            }
            if (reply.equals("ok")) {
                return "";
            }
            if (reply.startsWith("ok ")) {
                return reply.substring(3);
            }
            throw new IOException("generator process " + process.pid() + " failed '" + command + "': " + reply);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String exitCode() {
        return process.isAlive() ? "still running" : "exit " + process.exitValue();
    }
}
