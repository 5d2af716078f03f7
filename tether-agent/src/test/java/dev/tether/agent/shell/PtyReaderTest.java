package dev.tether.agent.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.pty4j.PtyProcess;
import dev.tether.protocol.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link PtyReader} against real programs on real PTYs; each child first puts its terminal in raw mode. */
@Timeout(60)
class PtyReaderTest {

    @TempDir
    Path dir;

    private final TestTerminals terminals = new TestTerminals();

    @AfterEach
    void closeTerminals() throws IOException {
        terminals.close();
    }

    private PtyReader open(PtyProcess process) {
        return terminals.reader(process);
    }

    /** Runs {@code script} in sh on a new PTY with output processing off ({@code stty raw}). */
    private PtyProcess start(String script) throws IOException {
        return terminals.start(script, dir);
    }

    /** Reads to the end with limits from {@code limits}; checks each read against its limit. */
    private static byte[] readAll(PtyReader reader, Random limits, List<Integer> sizes) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[Limits.SHELL_CHUNK_BYTES];
        while (true) {
            int limit = 1 + limits.nextInt(Limits.SHELL_CHUNK_BYTES);
            int n = reader.read(buffer, limit);
            if (n < 0) {
                return all.toByteArray();
            }
            assertThat(n).isBetween(1, limit);
            sizes.add(n);
            all.write(buffer, 0, n);
        }
    }

    @Test
    void gatheredReadsReturnEveryByteOfRandomChunksIncludingNulsExactly() throws IOException {
        Random random = new Random(15);
        byte[] data = new byte[1 << 20];
        random.nextBytes(data);
        for (int i = 0; i < data.length; i += 1 + random.nextInt(64)) {
            data[i] = 0;
        }
        Files.write(dir.resolve("data"), data);
        StringBuilder chunks = new StringBuilder("exec < data; ");
        for (int left = data.length; left > 0; ) {
            int chunk = Math.min(left, 1 + random.nextInt(24 * 1024));
            chunks.append("dd bs=").append(chunk).append(" count=1 status=none; ");
            left -= chunk;
        }
        PtyProcess process = start(chunks.toString());
        List<Integer> sizes = new ArrayList<>();

        PtyReader reader = open(process);
        assertThat(readAll(reader, random, sizes)).isEqualTo(data);
        assertThat(PtyReader.awaitExit(process)).isZero();
    }

    @Test
    void oneReadGathersMoreThanTheTerminalHandsOverAtOnce() throws Exception {
        PtyProcess process = start("head -c 100000 /dev/zero; sleep 30");
        byte[] buffer = new byte[Limits.SHELL_CHUNK_BYTES];

        PtyReader reader = open(process);
        int first = reader.read(buffer, Limits.SHELL_CHUNK_BYTES);
        int largest = first;
        for (int total = first; total < 100_000; ) {
            int n = reader.read(buffer, Limits.SHELL_CHUNK_BYTES);
            assertThat(n).as("output before the end").isPositive();
            largest = Math.max(largest, n);
            total += n;
        }
        // A single read(2) of a Linux PTY master returns at most its 4 KiB line buffer.
        assertThat(largest).isGreaterThan(4096);
    }

    @Test
    void theEndStillReportsTheExitStatusAndTheLastBytes() throws IOException {
        PtyProcess process = start("printf 'last words'; exit 7");
        List<Integer> sizes = new ArrayList<>();

        PtyReader reader = open(process);
        assertThat(new String(readAll(reader, new Random(1), sizes))).isEqualTo("last words");
        assertThat(reader.read(new byte[16], 16)).isEqualTo(-1);
        assertThat(PtyReader.awaitExit(process)).isEqualTo(7);
    }

    @Test
    void aProgramThatExitsWhileOutputIsPendingLosesNothing() throws Exception {
        PtyProcess process = start("head -c 3000 /dev/zero; printf end; exit 3");
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<Integer> sizes = new ArrayList<>();

        PtyReader reader = open(process);
        byte[] expected = new byte[3003];
        System.arraycopy("end".getBytes(), 0, expected, 3000, 3);
        assertThat(readAll(reader, new Random(2), sizes)).isEqualTo(expected);
        assertThat(PtyReader.awaitExit(process)).isEqualTo(3);
    }

    @Test
    void theReadEndsWhenTheProgramExitsThoughABackgroundProcessHoldsTheTerminal() throws IOException {
        // The session's foreground group gets SIGHUP when the program (its leader) exits; this one ignores it.
        PtyProcess process = start("(trap '' HUP; exec sleep 20) & printf done; exit 0");
        List<Integer> sizes = new ArrayList<>();
        long startedAt = System.nanoTime();

        PtyReader reader = open(process);
        assertThat(new String(readAll(reader, new Random(3), sizes))).isEqualTo("done");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedAt)).isLessThan(10);
    }
}
