package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.events.AgentEvents;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.ShellOutput;
import java.net.SocketException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WriterTest {

    private final RecordingWebSocket socket = new RecordingWebSocket();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final QueuedShellTraffic shells = new QueuedShellTraffic();
    private ReliableChannel channel;
    private Writer writer;
    private Thread thread;

    private void start(int window) throws ProtocolException {
        channel = ReliableChannel.create(new MemoryOutbox(), 0, window);
        channel.resume(0, 1);
        writer = new Writer(socket, channel, shells, Clock.systemUTC(),
                (reason, linkBroken) -> failures.add(reason + (linkBroken ? " (link broken)" : "")));
        thread = new Thread(writer, "writer-under-test");
        thread.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        writer.stop();
        thread.interrupt();
        thread.join(1_000);
    }

    private void publish(int count) {
        channel.publish(IntStream.range(0, count).mapToObj(i -> AgentEvents.envelope("e", "{}", i)).toList());
        writer.wake();
    }

    private static Envelope heartbeat() {
        return Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();
    }

    private static Envelope shellOutput(int n) {
        return Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder()
                .setSessionId(ByteString.copyFrom(new byte[16])).setData(ByteString.copyFromUtf8("out " + n))
                .setOffset(n)).build();
    }

    /** Starts the writer and waits until it is idle, waiting for work. */
    private void startIdle() throws ProtocolException {
        start(512);
        await().until(() -> thread.getState() == Thread.State.WAITING);
    }

    /** Starts the writer, lets it go idle, then has a "pty-reader" thread write a shell frame, held in the send. */
    private Thread ptyReaderWritingAndHeld() throws ProtocolException {
        socket.holdSends = true;
        startIdle();
        shells.frames.add(shellOutput(1));
        Thread caller = Thread.ofPlatform().name("pty-reader").start(writer::writeOrWake);
        await().until(() -> socket.outstandingSends() == 1);
        return caller;
    }

    private List<PayloadCase> sentKinds() {
        return socket.sent.stream().map(Envelope::getPayloadCase).toList();
    }

    @Test
    void aHeartbeatGoesOutBeforeEventsAlreadyQueued() throws Exception {
        socket.holdSends = true;
        start(512);
        publish(10);
        await().until(() -> socket.outstandingSends() == 1);

        writer.sendControl(heartbeat());
        socket.holdSends = false;
        socket.completeSend();

        await().until(() -> socket.sent.size() == 11);
        assertThat(sentKinds().get(0)).isEqualTo(PayloadCase.AGENT_EVENT);
        assertThat(sentKinds().get(1)).isEqualTo(PayloadCase.HEARTBEAT);
        assertThat(socket.sent.stream().filter(Envelope::hasAgentEvent).map(Envelope::getSeq))
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void eventsQueuedBehindAWriteGoOutTogetherInOneWriteAndTheFirstAfterAWaitAlone() throws Exception {
        socket.holdSends = true;
        start(512);
        publish(1);
        await().until(() -> socket.outstandingSends() == 1);
        publish(20);
        socket.holdSends = false;
        socket.completeSend();

        await().until(() -> socket.sent.size() == 21);
        assertThat(socket.writes).containsExactly(1, 20);
        assertThat(socket.sent.stream().map(Envelope::getSeq))
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 21).mapToObj(i -> (long) i).toList());
    }

    @Test
    void aWriteOfQueuedEventsHoldsAtMostItsBytesAndALargerEventGoesAlone() throws Exception {
        socket.holdSends = true;
        start(512);
        publish(1);
        await().until(() -> socket.outstandingSends() == 1);
        String quarter = "\"" + "x".repeat(Writer.RELIABLE_WRITE_BYTES / 4) + "\"";
        String larger = "\"" + "y".repeat(Writer.RELIABLE_WRITE_BYTES + 1) + "\"";
        List<String> payloads = List.of(quarter, quarter, quarter, quarter, larger, quarter);
        channel.publish(payloads.stream().map(json -> AgentEvents.envelope("e", json, 0)).toList());
        writer.wake();
        socket.holdSends = false;
        socket.completeSend();

        await().until(() -> socket.sent.size() == 7);
        // Four quarters and their headers are over the bound: three go together, then the fourth alone (the
        // larger one does not fit behind it), the larger one alone, the last quarter alone.
        assertThat(socket.writes).containsExactly(1, 3, 1, 1, 1);
        assertThat(socket.sent.stream().map(Envelope::getSeq)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void shellFramesGoOutAfterHeartbeatsAndReliablePayloadsAlreadyQueued() throws Exception {
        socket.holdSends = true;
        start(512);
        publish(1);
        await().until(() -> socket.outstandingSends() == 1);

        shells.frames.add(shellOutput(0));
        shells.frames.add(shellOutput(1));
        publish(2);
        writer.sendControl(heartbeat());
        socket.holdSends = false;
        socket.completeSend();

        await().until(() -> socket.sent.size() == 6);
        assertThat(sentKinds()).containsExactly(PayloadCase.AGENT_EVENT, PayloadCase.HEARTBEAT,
                PayloadCase.AGENT_EVENT, PayloadCase.AGENT_EVENT, PayloadCase.SHELL_OUTPUT, PayloadCase.SHELL_OUTPUT);
        await().until(() -> shells.written.size() == 2);
        assertThat(shells.written).extracting(e -> e.getShellOutput().getOffset()).containsExactly(0L, 1L);
    }

    @Test
    void aDueAckRidesOnAShellFrameInsteadOfGoingAlone() throws Exception {
        start(512);
        channel.receive(1);
        channel.markApplied(1);
        shells.frames.add(shellOutput(0));
        writer.wake();

        await().until(() -> socket.sent.size() == 1);
        await().during(Duration.ofMillis(50)).until(() -> socket.sent.size() == 1);
        assertThat(socket.sent.get(0).hasShellOutput()).isTrue();
        assertThat(socket.sent.get(0).getAck()).isEqualTo(1);
        assertThat(shells.written).hasSize(1);
    }

    @Test
    void onlyOneWriteIsOutstandingAtATime() throws Exception {
        socket.holdSends = true;
        start(512);
        publish(3);
        for (int i = 1; i <= 3; i++) {
            int expected = i;
            await().until(() -> socket.sent.size() == expected);
            assertThat(socket.outstandingSends()).isEqualTo(1);
            socket.completeSend();
        }
    }

    @Test
    void whileTheWriterThreadIsIdleACallerOfWriteOrWakeWritesTheShellFrameItself() throws Exception {
        startIdle();
        shells.frames.add(shellOutput(1));

        writer.writeOrWake();

        assertThat(sentKinds()).as("written before writeOrWake returned").containsExactly(PayloadCase.SHELL_OUTPUT);
        assertThat(socket.senders).containsExactly(Thread.currentThread().getName());
        assertThat(shells.written).hasSize(1);
    }

    @Test
    void whileTheWriterThreadWritesACallerOfWriteOrWakeOnlyWakesIt() throws Exception {
        socket.holdSends = true;
        start(512);
        publish(1);
        await().until(() -> socket.outstandingSends() == 1);
        shells.frames.add(shellOutput(1));

        writer.writeOrWake();

        assertThat(socket.sent).hasSize(1);
        socket.holdSends = false;
        socket.completeSend();
        await().until(() -> socket.sent.size() == 2);
        assertThat(sentKinds()).containsExactly(PayloadCase.AGENT_EVENT, PayloadCase.SHELL_OUTPUT);
        assertThat(socket.senders).containsOnly("writer-under-test");
    }

    @Test
    void whileACallerOfWriteOrWakeWritesTheWriterThreadWaitsItsTurn() throws Exception {
        Thread caller = ptyReaderWritingAndHeld();

        publish(2);
        Thread.sleep(200);

        assertThat(socket.sent).as("no second write while one is outstanding").hasSize(1);
        socket.holdSends = false;
        socket.completeSend();
        caller.join(5_000);
        await().until(() -> socket.sent.size() == 3);
        assertThat(sentKinds()).containsExactly(PayloadCase.SHELL_OUTPUT, PayloadCase.AGENT_EVENT,
                PayloadCase.AGENT_EVENT);
        assertThat(socket.senders).containsExactly("pty-reader", "writer-under-test", "writer-under-test");
    }

    @Test
    void theCloseFrameWaitsForACallerOfWriteOrWakeStillWriting() throws Exception {
        Thread caller = ptyReaderWritingAndHeld();

        writer.close(1000, "done");
        Thread.sleep(200);

        assertThat(socket.closeCode).as("no close frame while a frame is being written").isEqualTo(-1);
        socket.completeSend();
        caller.join(5_000);
        await().until(() -> socket.closeCode == 1000);
        thread.join(5_000);
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void aCallerOfWriteOrWakeWhoseWriteFailsReportsABrokenLinkAndLeavesTheWriterFree() throws Exception {
        startIdle();
        socket.failSends = new SocketException("Broken pipe");
        shells.frames.add(shellOutput(1));

        writer.writeOrWake();

        assertThat(failures).singleElement().asString().contains("write failed").endsWith("(link broken)");
        assertThat(shells.written).as("a frame that failed is not counted as written").isEmpty();
        closeFrameStillGoesOut();
    }

    @Test
    void anErrorInACallerOfWriteOrWakesWriteFailsTheSessionNotTheCaller() throws Exception {
        startIdle();
        socket.errorInSends = new StackOverflowError("thrown by the test");
        shells.frames.add(shellOutput(1));

        writer.writeOrWake();

        assertThat(failures).singleElement().asString().contains("unexpected error").contains("StackOverflowError")
                .doesNotContain("(link broken)");
        closeFrameStillGoesOut();
    }

    /** After a failed write by a caller of writeOrWake, the writer thread is not left waiting for that write. */
    private void closeFrameStillGoesOut() throws InterruptedException {
        socket.failSends = null;
        socket.errorInSends = null;
        writer.close(1011, "internal error");
        await().until(() -> socket.closeCode == 1011);
        thread.join(5_000);
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void everyFrameCarriesTheCurrentAckAndATimestamp() throws Exception {
        start(512);
        channel.receive(1);
        channel.markApplied(1);
        publish(1);
        await().until(() -> !socket.sent.isEmpty());
        Envelope sent = socket.sent.get(0);
        assertThat(sent.getAck()).isEqualTo(1);
        assertThat(sent.getTsMs()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(5_000L));
        await().during(Duration.ofMillis(50)).until(() -> socket.sent.size() == 1);
    }

    @Test
    void aDueAckWithNothingElseToSendGoesOutAlone() throws Exception {
        start(512);
        channel.receive(1);
        channel.markApplied(1);
        writer.wake();
        await().until(() -> socket.sent.size() == 1);
        assertThat(socket.sent.get(0).hasAckOnly()).isTrue();
        assertThat(socket.sent.get(0).getAck()).isEqualTo(1);
        assertThat(socket.sent.get(0).getSeq()).isZero();
        assertThat(channel.ackDue()).isFalse();
    }

    @Test
    void aRequestedAckIsSentEvenWhenNothingNewWasApplied() throws Exception {
        start(512);
        channel.receive(1);
        channel.markApplied(1);
        writer.wake();
        await().until(() -> socket.sent.size() == 1);
        writer.requestAck();
        await().until(() -> socket.sent.size() == 2);
        assertThat(socket.sent.get(1).hasAckOnly()).isTrue();
        assertThat(socket.sent.get(1).getAck()).isEqualTo(1);
    }

    @Test
    void payloadsBeyondTheWindowWaitForAnAck() throws Exception {
        start(4);
        publish(10);
        await().until(() -> socket.sent.size() == 4);
        await().during(Duration.ofMillis(50)).until(() -> socket.sent.size() == 4);
        channel.onAck(4);
        writer.wake();
        await().until(() -> socket.sent.size() == 8);
    }

    @Test
    void tooManyWaitingControlFramesFailTheSession() throws Exception {
        socket.holdSends = true;
        start(512);
        for (int i = 0; i < Writer.MAX_QUEUED_CONTROL_FRAMES + 2 && failures.isEmpty(); i++) {
            writer.sendControl(heartbeat());
        }
        assertThat(failures).singleElement().asString().contains("writes are stuck").endsWith("(link broken)");
    }

    @Test
    void nothingIsWrittenAfterStop() throws Exception {
        start(512);
        writer.stop();
        thread.join(1_000);
        assertThat(thread.isAlive()).isFalse();
        publish(3);
        writer.sendControl(heartbeat());
        assertThat(socket.sent).isEmpty();
    }
}
