package dev.tether.bench.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server of Debian's {@code postgresql} package, made for one run:
 * {@code initdb} into a fresh directory, started on a loopback port with trust
 * authentication for a database {@code tether}, stopped and left on disk at
 * the end. The bench runs as root, which PostgreSQL refuses, so every command
 * runs as the {@code postgres} user through {@code runuser}.
 *
 * <p>{@link #pause} and {@link #resume} send SIGSTOP and SIGCONT to the
 * postmaster and all its backends: to the server under test the database
 * stalls, every statement waits, no connection drops. Not thread safe.
 */
public final class ThrowawayPostgres implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final String USER = "postgres";

    private final Process postmaster;
    private final Path dataDir;
    private final int port;

    private ThrowawayPostgres(Process postmaster, Path dataDir, int port) {
        this.postmaster = postmaster;
        this.dataDir = dataDir;
        this.port = port;
    }

    /** The directory of the Debian binaries, or an exception saying how to install them. */
    public static Path binaries() {
        try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
                    .sorted().reduce((a, b) -> b).orElseThrow();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("PostgreSQL is not installed; this scenario's --store postgresql needs "
                    + "it: apt-get update && apt-get install -y postgresql (or use --store sqlite)");
        }
    }

    /**
     * Creates and starts a server in {@code workDir/pgdata}.
     *
     * @param environment more environment variables of the postmaster ({@code LD_PRELOAD} for a slow disk)
     */
    public static ThrowawayPostgres start(Path workDir, int port, Map<String, String> environment)
            throws IOException, InterruptedException {
        Path bin = binaries();
        Path data = workDir.resolve("pgdata").toAbsolutePath();
        Files.createDirectories(workDir);
        run(List.of("chown", USER, workDir.toAbsolutePath().toString()), workDir);
        run(asPostgres(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", USER,
                "--no-sync"), workDir);
        Path log = workDir.resolve("postgres.log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(asPostgres(bin.resolve("postgres").toString(), "-D",
                data.toString(), "-p", Integer.toString(port), "-k", data.toString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=on"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        ThrowawayPostgres postgres = new ThrowawayPostgres(builder.start(), data, port);
        postgres.awaitReady(log);
        run(asPostgres(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-U", USER, "tether"), workDir);
        return postgres;
    }

    /** The JDBC URL of the database {@code tether} (trust authentication: no password). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/tether?user=" + USER;
    }

    /**
     * Runs one query with {@code psql} in the database {@code tether} and returns its rows, columns separated by
     * {@code |}. Blocking (a process per call: for occasional reads, not for load).
     */
    public List<String> query(String sql) throws IOException, InterruptedException {
        List<String> command = List.of(binaries().resolve("psql").toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(port), "-U", USER, "-d", "tether", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("psql failed with " + process.exitValue() + ": " + output.strip());
        }
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    /** SIGSTOP the postmaster and every backend: the database stalls. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT: the stalled database goes on. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    @Override
    public void close() {
        try {
            resume();
        } catch (IOException e) {
            // Stopping it below matters more.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        postmaster.toHandle().descendants().forEach(ProcessHandle::destroy);
        postmaster.destroy();
        try {
            if (!postmaster.waitFor(20, TimeUnit.SECONDS)) {
                postmaster.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                postmaster.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void signal(String name) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + name));
        postmaster.toHandle().descendants().forEach(p -> command.add(Long.toString(p.pid())));
        if (command.size() > 2) {
            run(command, dataDir.getParent());
        }
    }

    private void awaitReady(Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!postmaster.isAlive()) {
                throw new IOException("PostgreSQL exited with " + postmaster.exitValue() + "; see " + log);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                Thread.sleep(300);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IOException("PostgreSQL did not listen on " + port + " within " + READY_TIMEOUT + "; see " + log);
    }

    private static List<String> asPostgres(String... command) {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", USER, "--"));
        full.addAll(List.of(command));
        return full;
    }

    private static void run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed with " + process.exitValue() + ": " + output);
        }
    }
}
