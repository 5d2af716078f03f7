package dev.tether.agent.testing;

import com.google.protobuf.ByteString;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the fake server's side of the agent's shell sessions saw: every shell
 * frame from the agent, by session, across connections. It checks the flow
 * control as frames arrive: output never beyond the credit granted (counted
 * before it is sent), frames of at most {@link Limits#SHELL_CHUNK_BYTES}, offsets
 * without gaps or overlaps within an attachment. A flood is counted, not kept: a
 * session's frames are kept for its first {@link #KEPT_OUTPUT_BYTES} of output.
 * A session can be set to get its credit back as its output arrives, like a client
 * that keeps up.
 *
 * <p>Thread safe: each session's record is guarded by itself.
 */
public final class ShellRecorder {

    /** Output bytes per session whose frames are kept; beyond, output is only counted. */
    static final int KEPT_OUTPUT_BYTES = 1024 * 1024;

    private final Map<ByteString, Record> sessions = new ConcurrentHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();

    /** One session's frames and counters; guarded by itself. */
    private static final class Record {
        final List<Envelope> frames = new ArrayList<>();
        long granted;
        long received;
        long keptBytes;
        /** The offset the next output should have; -1 until the first output of an attachment. */
        long nextOffset = -1;
        boolean autoCredit;
    }

    private Record session(ByteString id) {
        return sessions.computeIfAbsent(id, key -> new Record());
    }

    static boolean isShell(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case SHELL_READY, SHELL_ERROR, SHELL_OUTPUT, SHELL_EXIT, SHELL_CREDIT -> true;
            default -> false;
        };
    }

    /** Records a frame from the agent; the output credit to grant back for it, 0 for none. */
    int record(Envelope envelope) {
        ByteString id = sessionId(envelope);
        Record record = session(id);
        synchronized (record) {
            if (envelope.hasShellReady()) {
                record.nextOffset = envelope.getShellReady().getOutputOffset();
            }
            if (!envelope.hasShellOutput()) {
                record.frames.add(envelope);
                return 0;
            }
            ShellOutput output = envelope.getShellOutput();
            int size = output.getData().size();
            check(id, record, output);
            record.received += size;
            record.nextOffset = output.getOffset() + size;
            if (record.keptBytes < KEPT_OUTPUT_BYTES) {
                record.frames.add(envelope);
                record.keptBytes += size;
            }
            return record.autoCredit ? size : 0;
        }
    }

    private void check(ByteString id, Record record, ShellOutput output) {
        String name = ShellMessages.hex(id);
        int size = output.getData().size();
        if (record.received + size > record.granted) {
            violations.add(name + ": " + (record.received + size) + " output bytes received, " + record.granted
                    + " granted");
        }
        if (size == 0 || size > Limits.SHELL_CHUNK_BYTES) {
            violations.add(name + ": an output frame of " + size + " bytes");
        }
        if (record.nextOffset >= 0 && output.getOffset() != record.nextOffset) {
            violations.add(name + ": output at offset " + output.getOffset() + ", expected " + record.nextOffset);
        }
    }

    /** Counts the output credit in a payload the server is about to send. */
    void sending(Envelope envelope) {
        if (envelope.hasShellOpen()) {
            Record record = session(envelope.getShellOpen().getSessionId());
            synchronized (record) {
                record.granted += envelope.getShellOpen().getCredit();
            }
        } else if (envelope.hasShellCredit()) {
            Record record = session(envelope.getShellCredit().getSessionId());
            synchronized (record) {
                record.granted += envelope.getShellCredit().getBytes();
            }
        }
    }

    /** Flow-control breaches seen (credit exceeded, oversized frames, offset gaps); a test expects none. */
    public List<String> violations() {
        return violations;
    }

    /** Grants {@code id} its output credit back as its output arrives (a client that keeps up), or stops. */
    public void autoCredit(ByteString id, boolean on) {
        Record record = session(id);
        synchronized (record) {
            record.autoCredit = on;
        }
    }

    /** The frames kept for {@code id}, in arrival order. */
    public List<Envelope> frames(ByteString id) {
        Record record = session(id);
        synchronized (record) {
            return List.copyOf(record.frames);
        }
    }

    /** How many output bytes arrived for {@code id}, kept or not. */
    public long outputBytes(ByteString id) {
        Record record = session(id);
        synchronized (record) {
            return record.received;
        }
    }

    public List<ShellReady> readies(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellReady).map(Envelope::getShellReady).toList();
    }

    public List<ShellError> errors(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellError).map(Envelope::getShellError).toList();
    }

    /** The error codes the agent answered for {@code id}, in order. */
    public List<String> errorCodes(ByteString id) {
        return errors(id).stream().map(ShellError::getCode).toList();
    }

    public List<ShellOutput> outputs(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellOutput).map(Envelope::getShellOutput).toList();
    }

    /** The exit, null until it came. */
    public ShellExit exit(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellExit).map(Envelope::getShellExit).findFirst()
                .orElse(null);
    }

    /** Output frames that came after the ShellExit of {@code id}; there must be none. */
    public List<ShellOutput> outputAfterExit(ByteString id) {
        List<Envelope> frames = frames(id);
        int exit = frames.indexOf(frames.stream().filter(Envelope::hasShellExit).findFirst().orElseThrow(
                () -> new AssertionError("no exit for " + ShellMessages.hex(id))));
        return frames.subList(exit, frames.size()).stream().filter(Envelope::hasShellOutput)
                .map(Envelope::getShellOutput).toList();
    }

    /** Input credit the agent returned for {@code id}. */
    public long inputCreditReturned(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellCredit).map(Envelope::getShellCredit)
                .mapToLong(ShellCredit::getBytes).sum();
    }

    /** The kept output for {@code id} in arrival order, as text. */
    public String text(ByteString id) {
        return textAfterReady(id, 0);
    }

    /** The kept output that followed the n-th ShellReady (from 1; 0 for all), e.g. the replay after an attach. */
    public String textAfterReady(ByteString id, int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int readies = 0;
        for (Envelope frame : frames(id)) {
            readies += frame.hasShellReady() ? 1 : 0;
            if (readies >= n && frame.hasShellOutput()) {
                out.writeBytes(frame.getShellOutput().getData().toByteArray());
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static ByteString sessionId(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case SHELL_READY -> envelope.getShellReady().getSessionId();
            case SHELL_ERROR -> envelope.getShellError().getSessionId();
            case SHELL_OUTPUT -> envelope.getShellOutput().getSessionId();
            case SHELL_EXIT -> envelope.getShellExit().getSessionId();
            case SHELL_CREDIT -> envelope.getShellCredit().getSessionId();
            default -> ByteString.EMPTY;
        };
    }
}
