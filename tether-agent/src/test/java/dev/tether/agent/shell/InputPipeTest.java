package dev.tether.agent.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.protocol.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InputPipeTest {

    private final InputPipe pipe = new InputPipe("test");
    private final List<Integer> returned = new CopyOnWriteArrayList<>();
    private Thread writer;

    private void run(OutputStream out) {
        writer = new Thread(() -> pipe.run(out, returned::add), "input-under-test");
        writer.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        pipe.close();
        if (writer != null) {
            writer.join(2_000);
        }
    }

    @Test
    void inputIsWrittenInOrderAndItsCreditComesBack() {
        ByteArrayOutputStream pty = new ByteArrayOutputStream();
        run(pty);
        assertThat(pipe.offer("ls".getBytes())).isTrue();
        assertThat(pipe.offer(" -l\n".getBytes())).isTrue();

        await().until(() -> returned.size() == 2);
        assertThat(returned).containsExactly(2, 4);
        assertThat(pty.toString()).isEqualTo("ls -l\n");
    }

    @Test
    void inputBeyondTheWindowIsRefusedWhileTheProgramDoesNotRead() throws IOException {
        PipedInputStream program = new PipedInputStream(16);
        run(new PipedOutputStream(program));
        int chunk = Limits.SHELL_CHUNK_BYTES;
        for (int i = 0; i < Limits.SHELL_WINDOW_BYTES / chunk; i++) {
            assertThat(pipe.offer(new byte[chunk])).isTrue();
        }
        assertThat(pipe.offer(new byte[1])).isFalse();
        assertThat(returned).isEmpty();
    }

    @Test
    void anAttachDropsUnwrittenInputAndTheStraddlingWriteReturnsNoCredit() throws Exception {
        PipedInputStream program = new PipedInputStream(16);
        run(new PipedOutputStream(program));
        pipe.offer(new byte[100]);
        pipe.offer(new byte[200]);
        // The first write is under way once the program sees its first byte.
        program.read();

        pipe.attach();
        assertThat(pipe.offer(new byte[Limits.SHELL_WINDOW_BYTES])).isTrue();
        program.readNBytes(99);
        // Bytes of the fresh window arriving means the straddling write is done.
        assertThat(program.readNBytes(16)).hasSize(16);

        assertThat(returned).isEmpty();
        assertThat(pipe.offer(new byte[1])).isFalse();
    }

    @Test
    void inputTypedBeforeADetachIsStillWrittenButReturnsNoCredit() throws Exception {
        // A one-byte pipe holds the writes until the test reads, after the detach: with room for all 16 bytes
        // the pipe could write them and return their credit before detach() ran (seen failing in CI).
        PipedInputStream program = new PipedInputStream(1);
        run(new PipedOutputStream(program));
        pipe.offer("echo one\n".getBytes());
        pipe.offer("exit 5\n".getBytes());
        pipe.detach();

        assertThat(new String(program.readNBytes(16))).isEqualTo("echo one\nexit 5\n");
        await().during(Duration.ofMillis(100)).until(returned::isEmpty);
    }
}
