package dev.tether.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.tether.agent.JobResult;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.testing.Commands;
import dev.tether.protocol.ReliableChannel;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** self_update against a local HTTP server and a jar in a temp dir (the tests themselves run from classes). */
class SelfUpdateCommandTest {

    private static final byte[] NEW_JAR = {'P', 'K', 3, 4, 'n', 'e', 'w'};

    @TempDir
    Path dir;

    private StateStore store;
    private HttpServer http;
    private Path jar;
    private final AtomicBoolean restarted = new AtomicBoolean();

    @BeforeEach
    void start() throws Exception {
        store = StateStore.open(dir.resolve("state"));
        jar = Files.write(dir.resolve("tether.jar"), new byte[] {'P', 'K', 3, 4, 'o', 'l', 'd'});
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/new.jar", exchange -> {
            exchange.sendResponseHeaders(200, NEW_JAR.length);
            exchange.getResponseBody().write(NEW_JAR);
            exchange.close();
        });
        http.createContext("/text", exchange -> {
            exchange.sendResponseHeaders(200, 5);
            exchange.getResponseBody().write("hello".getBytes());
            exchange.close();
        });
        http.start();
    }

    @AfterEach
    void stop() {
        http.stop(0);
        store.close();
    }

    private LiveJob job(String path, String sha256) {
        String url = "http://127.0.0.1:" + http.getAddress().getPort() + path;
        JobLedger ledger = new JobLedger(store, ReliableChannel.create(store.outbox(), 0), () -> { },
                Clock.systemUTC());
        return new LiveJob(Commands.typed("job-1", "self_update",
                "{\"url\":\"" + url + "\",\"sha256\":\"" + sha256 + "\"}").build(), ledger);
    }

    private JobResult run(LiveJob job, Path runningJar) throws Exception {
        return new SelfUpdateCommand(store.stateDir(), () -> runningJar, () -> restarted.set(true)).run(job);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void aVerifiedDownloadReplacesTheJarKeepsThePreviousAndRestartsOnlyAfterTheReport() throws Exception {
        LiveJob job = job("/new.jar", sha256(NEW_JAR).toUpperCase());

        JobResult result = run(job, jar);

        assertThat(result.succeeded()).as(result.error()).isTrue();
        assertThat(Files.readAllBytes(jar)).isEqualTo(NEW_JAR);
        assertThat(Files.readString(dir.resolve("tether.jar.previous"))).endsWith("old");
        assertThat(result.resultJson()).contains("\"restarting\":true", "\"version_before\":\"dev\"",
                "\"version_after\":\"unknown\"");
        assertThat(Files.readString(dir.resolve("tether.jar.trial"))).as("the new jar is on trial")
                .isEqualTo("dev\nunknown\n");
        assertThat(store.stateDir().resolve("updates")).isEmptyDirectory();
        assertThat(restarted).isFalse();
        job.afterEndActions().forEach(Runnable::run);
        await().untilTrue(restarted);
    }

    @Test
    void aWrongChecksumIsRefusedAndTheDownloadDeleted() throws Exception {
        JobResult result = run(job("/new.jar", "ab".repeat(32)), jar);

        assertThat(result.succeeded()).isFalse();
        assertThat(result.error()).isEqualTo("sha256 mismatch: expected " + "ab".repeat(32) + " got "
                + sha256(NEW_JAR) + "; the download was deleted and the agent keeps running");
        assertThat(Files.readString(jar)).endsWith("old");
        assertThat(store.stateDir().resolve("updates")).isEmptyDirectory();
        assertThat(dir.resolve("tether.jar.trial")).doesNotExist();
    }

    @Test
    void aDownloadThatIsNotAJarIsRefused() throws Exception {
        JobResult result = run(job("/text", sha256("hello".getBytes())), jar);

        assertThat(result.error()).contains("is not a jar");
        assertThat(Files.readString(jar)).endsWith("old");
    }

    @Test
    void anAgentNotRunningFromAJarRefusesToUpdate() throws Exception {
        JobResult result = run(job("/new.jar", sha256(NEW_JAR)), dir);

        assertThat(result.error()).isEqualTo("self_update needs the agent to run from its jar; it runs from " + dir);
    }

    @Test
    void paramsWithoutAChecksumAreRefusedBeforeDownloading() throws Exception {
        JobResult result = run(job("/new.jar", "abc"), jar);

        assertThat(result.error()).startsWith("self_update params must be");
    }
}
