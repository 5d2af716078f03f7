package dev.tether.agent.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ShellOutboxTest {

    private static final ByteString A = ByteString.copyFrom(new byte[16]);
    private static final ByteString B = ByteString.copyFrom(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});

    private final ShellOutbox outbox = new ShellOutbox();
    private final AtomicInteger wakes = new AtomicInteger();

    private static Envelope output(ByteString id, int bytes, long offset) {
        return ShellFrames.output(id, new byte[bytes], offset);
    }

    private List<Envelope> drain() {
        List<Envelope> frames = new ArrayList<>();
        Envelope frame;
        while ((frame = outbox.poll()) != null) {
            frames.add(frame);
            outbox.written(frame);
        }
        return frames;
    }

    @Test
    void sessionsTakeTurnsAndErrorsGoFirst() {
        outbox.connected(wakes::incrementAndGet, wakes::incrementAndGet);
        ShellOutbox.Lane a = outbox.lane(A);
        ShellOutbox.Lane b = outbox.lane(B);
        int full = Limits.SHELL_CHUNK_BYTES;
        for (int i = 0; i < 3; i++) {
            a.send(output(A, full, (long) i * full));
        }
        b.send(output(B, 10, 0));
        outbox.error(B, ShellErrorCode.EXISTS, "exists");

        List<Envelope> frames = drain();
        assertThat(frames).extracting(Envelope::getPayloadCase).first().isEqualTo(PayloadCase.SHELL_ERROR);
        assertThat(frames.subList(1, 5)).extracting(e -> e.getShellOutput().getSessionId().byteAt(0) + "@"
                + e.getShellOutput().getOffset()).containsExactly("0@0", "1@0", "0@" + full, "0@" + 2 * full);
        assertThat(wakes.get()).isEqualTo(5);
    }

    @Test
    void aQueuedFrameWakesNoOneAndShowsInHasFramesUntilTaken() {
        AtomicInteger writes = new AtomicInteger();
        outbox.connected(wakes::incrementAndGet, writes::incrementAndGet);
        ShellOutbox.Lane a = outbox.lane(A);
        assertThat(outbox.hasFrames()).isFalse();

        assertThat(a.queue(output(A, 10, 0))).isNotNull();

        assertThat(wakes.get() + writes.get()).as("queue leaves the waking to its caller").isZero();
        assertThat(outbox.hasFrames()).isTrue();
        outbox.writeOrWake();
        assertThat(writes.get()).isOne();
        assertThat(drain()).hasSize(1);
        assertThat(outbox.hasFrames()).isFalse();
        outbox.disconnected();
        assertThat(a.queue(output(A, 10, 10))).as("dropped while disconnected").isNull();
        assertThat(outbox.hasFrames()).isFalse();
    }

    @Test
    void waitingOutputIsJoinedUpToAFullFrame() {
        outbox.connected(() -> { }, () -> { });
        ShellOutbox.Lane a = outbox.lane(A);
        a.send(ShellFrames.output(A, "ab".getBytes(), 0));
        a.send(ShellFrames.output(A, "cd".getBytes(), 2));
        a.send(output(A, Limits.SHELL_CHUNK_BYTES - 4, 4));
        a.send(ShellFrames.output(A, "e".getBytes(), Limits.SHELL_CHUNK_BYTES));

        List<Envelope> frames = drain();
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0).getShellOutput().getOffset()).isZero();
        assertThat(frames.get(0).getShellOutput().getData().size()).isEqualTo(Limits.SHELL_CHUNK_BYTES);
        assertThat(frames.get(0).getShellOutput().getData().substring(0, 4).toStringUtf8()).isEqualTo("abcd");
        assertThat(frames.get(1).getShellOutput().getOffset()).isEqualTo(Limits.SHELL_CHUNK_BYTES);
        assertThat(outbox.takePeak()).isEqualTo(Limits.SHELL_CHUNK_BYTES + 1);
    }

    @Test
    void returnedInputCreditIsCoalescedAndGoesAheadOfOutput() {
        outbox.connected(() -> { }, () -> { });
        ShellOutbox.Lane a = outbox.lane(A);
        a.send(output(A, 5, 0));
        a.returnInputCredit(3);
        a.returnInputCredit(4);

        List<Envelope> frames = drain();
        assertThat(frames).extracting(Envelope::getPayloadCase)
                .containsExactly(PayloadCase.SHELL_CREDIT, PayloadCase.SHELL_OUTPUT);
        assertThat(frames.get(0).getShellCredit().getBytes()).isEqualTo(7);
    }

    @Test
    void bufferedBytesCountUntilTheWriterTakesThemAndThePeakCarriesOver() {
        outbox.connected(() -> { }, () -> { });
        ShellOutbox.Lane a = outbox.lane(A);
        ShellOutbox.Lane b = outbox.lane(B);
        a.send(output(A, 20_000, 0));
        a.send(output(A, 30_000, 20_000));
        b.send(output(B, 500, 0));

        Envelope first = outbox.poll();
        assertThat(outbox.takePeak()).isEqualTo(50_000);
        outbox.written(first);
        // The next period starts with what still waits for the writer: the frame it took no longer counts.
        assertThat(outbox.takePeak()).isEqualTo(30_000);
        drain();
        assertThat(outbox.takePeak()).isEqualTo(30_000);
        assertThat(outbox.takePeak()).isZero();
    }

    @Test
    void outputBeyondTheWindowIsRefused() {
        outbox.connected(() -> { }, () -> { });
        ShellOutbox.Lane a = outbox.lane(A);
        for (int i = 0; i < Limits.SHELL_WINDOW_BYTES / Limits.SHELL_CHUNK_BYTES; i++) {
            a.send(output(A, Limits.SHELL_CHUNK_BYTES, (long) i * Limits.SHELL_CHUNK_BYTES));
        }
        a.send(output(A, 1, Limits.SHELL_WINDOW_BYTES));

        assertThat(drain()).hasSize(Limits.SHELL_WINDOW_BYTES / Limits.SHELL_CHUNK_BYTES);
    }

    @Test
    void creditGrantedForAFrameStillBeingWrittenMakesRoomForMoreOutput() {
        outbox.connected(() -> { }, () -> { });
        ShellOutbox.Lane a = outbox.lane(A);
        int frames = Limits.SHELL_WINDOW_BYTES / Limits.SHELL_CHUNK_BYTES;
        for (int i = 0; i < frames; i++) {
            a.send(output(A, Limits.SHELL_CHUNK_BYTES, (long) i * Limits.SHELL_CHUNK_BYTES));
        }
        // The writer has handed the first frame to the socket; the server got it and granted its credit back
        // before the write's completion came (a busy machine), so the session sends one more frame.
        Envelope writing = outbox.poll();
        a.send(output(A, Limits.SHELL_CHUNK_BYTES, Limits.SHELL_WINDOW_BYTES));
        outbox.written(writing);

        List<Envelope> rest = drain();
        assertThat(rest).hasSize(frames);
        assertThat(rest.getLast().getShellOutput().getOffset()).isEqualTo(Limits.SHELL_WINDOW_BYTES);
    }

    @Test
    void nothingIsKeptWhileDisconnectedAndADisconnectDropsWhatWaits() {
        ShellOutbox.Lane a = outbox.lane(A);
        a.send(output(A, 10, 0));
        outbox.error(A, ShellErrorCode.NOT_FOUND, "x");
        outbox.connected(() -> { }, () -> { });
        assertThat(outbox.poll()).isNull();

        a.send(output(A, 10, 0));
        Envelope inFlight = outbox.poll();
        a.send(output(A, 10, 10));
        outbox.disconnected();
        outbox.written(inFlight);
        assertThat(outbox.poll()).isNull();
        assertThat(outbox.takePeak()).isZero();

        outbox.connected(() -> { }, () -> { });
        a.send(output(A, Limits.SHELL_WINDOW_BYTES, 20));
        assertThat(drain()).hasSize(1);
    }

    @Test
    void aClearedLaneLosesItsFramesButNotItsTurnOrder() {
        outbox.connected(() -> { }, () -> { });
        ShellOutbox.Lane a = outbox.lane(A);
        ShellOutbox.Lane b = outbox.lane(B);
        a.send(output(A, 10, 0));
        b.send(output(B, 10, 0));
        a.clear();

        assertThat(drain()).extracting(e -> e.getShellOutput().getSessionId()).containsExactly(B);
    }

    @Test
    void errorsBeyondTheQueueBoundAreDropped() {
        outbox.connected(() -> { }, () -> { });
        for (int i = 0; i < ShellOutbox.MAX_QUEUED_ERRORS + 10; i++) {
            outbox.error(A, ShellErrorCode.NOT_FOUND, "no " + i);
        }
        assertThat(drain()).hasSize(ShellOutbox.MAX_QUEUED_ERRORS);
    }
}
