package dev.tether.bench.scenario;

import dev.tether.bench.peer.SlowDisk;
import dev.tether.bench.peer.ThrowawayPostgres;
import dev.tether.bench.server.ServerProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The faults of {@code tether bench chaos}, drawn at random from a seed: kill -9
 * of an agent (started again after a moment), kill -9 of the server (started
 * again on the same data), a database stall (SQLite: another connection holds
 * the write lock longer than the server's busy timeout; PostgreSQL: every
 * process of the database SIGSTOPped), and a slow disk (every fsync of the
 * server, the agents and PostgreSQL sleeps first). Faults overlap: a kill can
 * land while the database stalls.
 *
 * <p>{@link #inject} is called from one thread; the timed parts of a fault (the
 * restart, the end of a stall) run on a small pool of their own. {@link #heal}
 * ends every fault and waits for the pool. Counts are guarded by this.
 */
final class ChaosFaults implements AutoCloseable {

    /** Longer than the server's SQLite busy timeout (10 s), so its writers give up while the lock is held. */
    static final Duration SQLITE_LOCK_HOLD = Duration.ofSeconds(12);

    enum Kind { KILL_AGENT, KILL_SERVER, STALL_DATABASE, SLOW_DISK }

    private final Random random;
    private final ServerProcess server;
    private final ChaosFleet fleet;
    private final Path sqliteFile;
    private final ThrowawayPostgres postgres;
    private final SlowDisk disk;
    private final Consumer<String> log;
    private final ExecutorService timed = Executors.newFixedThreadPool(4, Thread.ofPlatform().daemon()
            .name("chaos-fault-", 0).factory());
    private final Map<Kind, Integer> counts = new LinkedHashMap<>();
    private final Object serverLock = new Object();
    private boolean databaseStalled;
    private boolean diskSlow;

    /**
     * @param sqliteFile the server's SQLite database, or null on PostgreSQL
     * @param postgres the database server, or null on SQLite
     * @param disk the slow disk, or null to leave the disk alone
     */
    ChaosFaults(long seed, ServerProcess server, ChaosFleet fleet, Path sqliteFile, ThrowawayPostgres postgres,
            SlowDisk disk, Consumer<String> log) {
        this.random = new Random(seed);
        this.server = server;
        this.fleet = fleet;
        this.sqliteFile = sqliteFile;
        this.postgres = postgres;
        this.disk = disk;
        this.log = log;
        for (Kind kind : Kind.values()) {
            counts.put(kind, 0);
        }
    }

    /** Injects one fault drawn at random. */
    void inject() throws Exception {
        List<Kind> kinds = new ArrayList<>(List.of(Kind.KILL_AGENT, Kind.KILL_AGENT, Kind.KILL_SERVER,
                Kind.STALL_DATABASE));
        if (disk != null) {
            kinds.add(Kind.SLOW_DISK);
        }
        Kind kind = kinds.get(random.nextInt(kinds.size()));
        switch (kind) {
            case KILL_AGENT -> killAgent();
            case KILL_SERVER -> killServer();
            case STALL_DATABASE -> stallDatabase();
            case SLOW_DISK -> slowDisk();
        }
    }

    synchronized Map<Kind, Integer> counts() {
        return new LinkedHashMap<>(counts);
    }

    private synchronized void count(Kind kind) {
        counts.merge(kind, 1, Integer::sum);
    }

    private void killAgent() throws InterruptedException {
        int i = random.nextInt(fleet.size());
        long downMillis = 200 + random.nextInt(3_000);
        fleet.kill(i);
        count(Kind.KILL_AGENT);
        log.accept("kill -9 agent " + fleet.agent(i).name() + ", back in " + downMillis + " ms");
        timed.execute(() -> later(downMillis, () -> fleet.start(i)));
    }

    private void killServer() throws InterruptedException {
        long downMillis = 500 + random.nextInt(2_500);
        synchronized (serverLock) {
            if (!server.alive()) {
                return;
            }
            server.kill();
        }
        count(Kind.KILL_SERVER);
        log.accept("kill -9 server, back in " + downMillis + " ms");
        timed.execute(() -> later(downMillis, this::restartServer));
    }

    private void restartServer() throws IOException, InterruptedException {
        synchronized (serverLock) {
            if (!server.alive()) {
                server.restart();
                log.accept("server ready again (pid " + server.pid() + ")");
            }
        }
    }

    private void stallDatabase() throws Exception {
        synchronized (this) {
            if (databaseStalled) {
                return;
            }
            databaseStalled = true;
        }
        count(Kind.STALL_DATABASE);
        if (postgres != null) {
            long millis = 3_000 + random.nextInt(9_000);
            postgres.pause();
            log.accept("PostgreSQL SIGSTOPped for " + millis + " ms");
            timed.execute(() -> later(millis, () -> {
                postgres.resume();
                stallEnded("PostgreSQL SIGCONT");
            }));
        } else {
            Process holder = holdSqliteWriteLock();
            log.accept("SQLite write lock held by another connection for " + SQLITE_LOCK_HOLD.toMillis() + " ms");
            timed.execute(() -> later(SQLITE_LOCK_HOLD.toMillis(), () -> {
                release(holder);
                stallEnded("SQLite write lock released");
            }));
        }
    }

    private synchronized void stallEnded(String message) {
        databaseStalled = false;
        log.accept(message);
    }

    /** {@code sqlite3} on the server's file, inside {@code BEGIN IMMEDIATE} until {@link #release}. */
    private Process holdSqliteWriteLock() throws IOException {
        Process sqlite = new ProcessBuilder("sqlite3", sqliteFile.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        OutputStream in = sqlite.getOutputStream();
        in.write("PRAGMA busy_timeout = 30000;\nBEGIN IMMEDIATE;\nCREATE TABLE IF NOT EXISTS chaos_lock (x);\n"
                .getBytes(StandardCharsets.UTF_8));
        in.flush();
        return sqlite;
    }

    private static void release(Process sqlite) throws IOException, InterruptedException {
        try (OutputStream in = sqlite.getOutputStream()) {
            in.write("ROLLBACK;\n.quit\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException gone) {
            // It died: its lock went with it.
        }
        if (!sqlite.waitFor(10, TimeUnit.SECONDS)) {
            sqlite.destroyForcibly();
        }
    }

    private void slowDisk() throws IOException {
        synchronized (this) {
            if (diskSlow) {
                return;
            }
            diskSlow = true;
        }
        Duration delay = Duration.ofMillis(20 + random.nextInt(180));
        long millis = 3_000 + random.nextInt(10_000);
        disk.slow(delay);
        count(Kind.SLOW_DISK);
        log.accept("slow disk: every fsync +" + delay.toMillis() + " ms for " + millis + " ms");
        timed.execute(() -> later(millis, () -> {
            disk.fast();
            synchronized (this) {
                diskSlow = false;
            }
            log.accept("disk fast again");
        }));
    }

    /** Ends every fault: waits for the timed parts (restarts, stall ends), then starts whatever is down. */
    void heal() throws Exception {
        timed.shutdown();
        if (!timed.awaitTermination(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the faults did not end within 60 s");
        }
        if (disk != null) {
            disk.fast();
        }
        if (postgres != null) {
            postgres.resume();
        }
        restartServer();
        for (int i = 0; i < fleet.size(); i++) {
            fleet.start(i);
        }
    }

    @Override
    public void close() {
        timed.shutdownNow();
    }

    private void later(long millis, Step step) {
        try {
            Thread.sleep(millis);
            step.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.accept("fault step failed: " + e);
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }
}
