package dev.tether.agent.jobs;

import dev.tether.agent.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trial of a self-updated jar, and its rollback.
 *
 * <p>{@link SelfUpdateCommand} leaves {@code <jar>.trial} (the versions before and after the update) beside the jar it
 * replaced, and the old jar as {@code <jar>.previous}. The next start, on the new jar, {@link #watch}es: once
 * connected to a server the update is kept (the marker goes, {@value #CONFIRMED} is reported with both versions);
 * when it is not connected within {@link #TIMEOUT} it renames {@code <jar>.previous} back over the jar, leaves
 * {@code <jar>.rolled-back} saying why, and restarts (exit 75) into the old jar, which reports
 * {@value #ROLLED_BACK}. A jar that cannot even start its JVM is the launcher's to roll back
 * ({@code bin/tether-agent} counts starts in {@code <jar>.trial-starts} and restores the previous jar at the
 * third), and it leaves the same {@code <jar>.rolled-back}.
 *
 * <p>An update is rolled back, too, when the server is unreachable for the minute after it for reasons of its
 * own; the operator runs it again.
 *
 * <p>Thread safe: {@link #watch} runs on a thread of its own; the files are its only state.
 */
public final class UpdateTrial {

    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    public static final String CONFIRMED = "agent.update_confirmed";
    public static final String ROLLED_BACK = "agent.update_rolled_back";

    private static final Logger log = LoggerFactory.getLogger(UpdateTrial.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Path jar;
    private final String version;
    private final BiConsumer<String, String> publish;

    /**
     * @param jar the jar this agent runs from
     * @param version this agent's version
     * @param publish publishes an event (type, JSON) through the outbox
     */
    public UpdateTrial(Path jar, String version, BiConsumer<String, String> publish) {
        this.jar = jar;
        this.version = version;
        this.publish = publish;
    }

    /** The trial of the jar this agent's classes come from (nothing to do when they come from a directory). */
    public static UpdateTrial ofRunningJar(String version, BiConsumer<String, String> publish) {
        return new UpdateTrial(SelfUpdateCommand.codeSource(), version, publish);
    }

    static Path marker(Path jar) {
        return jar.resolveSibling(jar.getFileName() + ".trial");
    }

    static Path previous(Path jar) {
        return jar.resolveSibling(jar.getFileName() + ".previous");
    }

    static Path rolledBack(Path jar) {
        return jar.resolveSibling(jar.getFileName() + ".rolled-back");
    }

    private static Path starts(Path jar) {
        return jar.resolveSibling(jar.getFileName() + ".trial-starts");
    }

    /**
     * Marks {@code jar} as on trial, before it is replaced: the running version, then the new jar's, one a line
     * (the launcher reads the second).
     */
    static void begin(Path jar, String before, String after) throws IOException {
        Files.deleteIfExists(rolledBack(jar));
        Files.deleteIfExists(starts(jar));
        Files.writeString(marker(jar), oneLine(before) + "\n" + oneLine(after) + "\n", StandardCharsets.UTF_8);
    }

    private static String oneLine(String text) {
        return text.replaceAll("[\\r\\n]", " ");
    }

    /**
     * At start: reports a rollback that brought this jar back, and starts watching a jar on trial on a daemon
     * thread. Does nothing when the agent does not run from a jar.
     *
     * @param connected whether the agent is connected to a server now
     * @param restart exits for a restart into the restored jar
     */
    public void start(BooleanSupplier connected, Runnable restart) {
        if (!Files.isRegularFile(jar)) {
            return;
        }
        reportRollback();
        if (Files.isRegularFile(marker(jar))) {
            Thread thread = new Thread(() -> watch(connected, restart, TIMEOUT), "tether-update-trial");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Waits for a connection up to {@code timeout}: keeps the update, or rolls it back and restarts. */
    void watch(BooleanSupplier connected, Runnable restart, Duration timeout) {
        String before = read(marker(jar)).lines().findFirst().orElse("unknown");
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (connected.getAsBoolean()) {
                    Files.deleteIfExists(marker(jar));
                    Files.deleteIfExists(starts(jar));
                    log.info("update from {} to {} confirmed: connected to the server", before, version);
                    publish.accept(CONFIRMED, Json.object(versions(before, version, null)));
                    return;
                }
                Thread.sleep(POLL.toMillis());
            }
            if (!Files.isRegularFile(previous(jar))) {
                log.error("the update to {} did not reach a server within {} s and there is no {} to go back to",
                        version, timeout.toSeconds(), previous(jar));
                Files.deleteIfExists(marker(jar));
                return;
            }
            String reason = "version " + version + " did not reach a server within " + timeout.toSeconds() + " s";
            log.error("rolling back to {}: {}", before, reason);
            Files.writeString(rolledBack(jar), version + "\n" + reason + "\n", StandardCharsets.UTF_8);
            Files.move(previous(jar), jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(marker(jar));
            Files.deleteIfExists(starts(jar));
            restart.run();
        } catch (IOException e) {
            log.error("update trial of {}: {}", jar, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** When a rollback brought this jar back: reports it once, with the version it left and why. */
    void reportRollback() {
        Path marker = rolledBack(jar);
        if (!Files.isRegularFile(marker)) {
            return;
        }
        String[] lines = read(marker).split("\n", 2);
        String reason = lines.length > 1 ? lines[1].strip() : "the updated agent did not start";
        log.warn("this agent ({}) was restored after an update to {}: {}", version, lines[0], reason);
        publish.accept(ROLLED_BACK, Json.object(versions(lines[0], version, reason)));
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", marker, e.toString());
        }
    }

    private static Map<String, Object> versions(String from, String to, String reason) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("from", from);
        json.put("to", to);
        if (reason != null) {
            json.put("reason", reason);
        }
        return json;
    }

    /** The first 200 characters of a marker file, stripped; "unknown" when it cannot be read. */
    private static String read(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            text = text.length() > 200 ? text.substring(0, 200) : text;
            return text.isEmpty() ? "unknown" : text;
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
