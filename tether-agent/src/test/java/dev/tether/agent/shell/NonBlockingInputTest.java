package dev.tether.agent.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.pty4j.PtyProcess;
import dev.tether.protocol.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link InputPipe} writing through {@link NonBlockingInput} to real programs on real PTYs (Linux). */
@Timeout(60)
class NonBlockingInputTest {

    private final InputPipe pipe = new InputPipe("test");
    private final List<Integer> returned = new CopyOnWriteArrayList<>();
    private final TestTerminals terminals = new TestTerminals();
    private Thread inputThread;

    @AfterEach
    void stop() throws Exception {
        pipe.close();
        if (inputThread != null) {
            inputThread.join(2_000);
        }
        terminals.close();
    }

    private PtyReader open(PtyProcess process) {
        return terminals.reader(process);
    }

    /**
     * {@code script} in sh on a new PTY in raw mode, without echo; the pipe may write to it directly.
     * The script starts once {@link #awaitRaw} has seen the terminal's mode set.
     */
    private PtyProcess start(String script) throws IOException {
        PtyProcess process = terminals.start("printf R; " + script, Path.of("").toAbsolutePath());
        NonBlockingInput direct = NonBlockingInput.open(process);
        assertThat(direct).as("this test runs on Linux").isNotNull();
        pipe.writeDirectly(direct, returned::add);
        return process;
    }

    private void startInputThread(PtyProcess process) {
        inputThread = new Thread(() -> pipe.run(process.getOutputStream(), returned::add), "input-under-test");
        inputThread.start();
    }

    private static void awaitRaw(PtyReader reader) {
        assertThat(new String(read(reader, 1))).isEqualTo("R");
    }

    /** Reads {@code count} bytes of the program's output. */
    private static byte[] read(PtyReader reader, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[Limits.SHELL_CHUNK_BYTES];
        while (out.size() < count) {
            int n = reader.read(buffer, count - out.size());
            assertThat(n).as("output before the end").isPositive();
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void aKeystrokeReachesTheProgramWithoutTheInputThreadAndItsCreditComesBackAtOnce() throws IOException {
        PtyProcess process = start("exec dd bs=1 count=3 status=none");

        PtyReader reader = open(process);
        awaitRaw(reader);
        for (String key : List.of("a", "b", "c")) {
            assertThat(pipe.offer(key.getBytes())).isTrue();
            assertThat(new String(read(reader, 1))).isEqualTo(key);
        }
        assertThat(returned).containsExactly(1, 1, 1);
        assertThat(reader.read(new byte[8], 8)).isEqualTo(-1);
    }

    @Test
    void inputAProgramLeavesUnreadIsQueuedAndTheCallerNeverBlocks() throws IOException {
        PtyProcess process = start("exec sleep 30");
        byte[] chunk = new byte[NonBlockingInput.MAX_BYTES];
        int offered = 0;

        PtyReader reader = open(process);
        awaitRaw(reader);
        long began = System.nanoTime();
        // Far more than the kernel holds for a program that does not read (64 KiB, plus its 4 KiB line).
        while (offered < 4 * Limits.SHELL_WINDOW_BYTES && pipe.offer(chunk)) {
            offered += chunk.length;
        }
        assertThat(System.nanoTime() - began).as("nanoseconds offering").isLessThan(10_000_000_000L);
        process.destroyForcibly();

        int writtenNow = returned.stream().mapToInt(Integer::intValue).sum();
        assertThat(writtenNow).isPositive().isLessThan(offered);
        assertThat(offered - writtenNow).as("queued").isEqualTo(Limits.SHELL_WINDOW_BYTES);
    }

    @Test
    void aKeystrokeDoesNotOvertakeInputQueuedBeforeIt() throws IOException {
        int total = NonBlockingInput.MAX_BYTES + 2;
        PtyProcess process = start("exec dd bs=1 count=" + total + " status=none");
        byte[] paste = new byte[NonBlockingInput.MAX_BYTES + 1];
        Arrays.fill(paste, (byte) 'p');

        PtyReader reader = open(process);
        awaitRaw(reader);
        assertThat(pipe.offer(paste)).isTrue(); // too long to write directly: queued, and no input thread yet
        assertThat(pipe.offer("k".getBytes())).isTrue();
        assertThat(returned).as("both wait for the input thread").isEmpty();
        startInputThread(process);
        assertThat(new String(read(reader, total))).isEqualTo("p".repeat(paste.length) + "k");
        await().until(() -> returned.stream().mapToInt(Integer::intValue).sum() == total);
    }
}
