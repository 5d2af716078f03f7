package dev.tether.agent.testing;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the fake server's side of the agent's shell sessions saw: every shell
 * frame from the agent, by session, across connections. A session can be set to
 * get its output credit back as its output arrives, like a client that keeps up.
 *
 * <p>Thread safe.
 */
public final class ShellRecorder {

    private final List<Envelope> frames = new CopyOnWriteArrayList<>();
    private final Set<ByteString> autoCredit = ConcurrentHashMap.newKeySet();
    /** Output credit the server granted per session, counted before it is sent. */
    private final Map<ByteString, AtomicLong> granted = new ConcurrentHashMap<>();
    private final Map<ByteString, AtomicLong> received = new ConcurrentHashMap<>();
    private final List<String> creditViolations = new CopyOnWriteArrayList<>();

    static boolean isShell(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case SHELL_READY, SHELL_ERROR, SHELL_OUTPUT, SHELL_EXIT, SHELL_CREDIT -> true;
            default -> false;
        };
    }

    /** Records a frame; the credit to grant back for it, 0 for none. */
    int record(Envelope envelope) {
        frames.add(envelope);
        if (!envelope.hasShellOutput()) {
            return 0;
        }
        ByteString id = envelope.getShellOutput().getSessionId();
        int size = envelope.getShellOutput().getData().size();
        long total = counter(received, id).addAndGet(size);
        long allowed = counter(granted, id).get();
        if (total > allowed) {
            creditViolations.add(ShellMessages.hex(id) + ": " + total + " output bytes received, " + allowed
                    + " granted");
        }
        return autoCredit.contains(id) ? size : 0;
    }

    /** Counts the output credit in a payload the server is about to send. */
    void sending(Envelope envelope) {
        if (envelope.hasShellOpen()) {
            counter(granted, envelope.getShellOpen().getSessionId()).addAndGet(envelope.getShellOpen().getCredit());
        } else if (envelope.hasShellCredit()) {
            counter(granted, envelope.getShellCredit().getSessionId()).addAndGet(envelope.getShellCredit().getBytes());
        }
    }

    private static AtomicLong counter(Map<ByteString, AtomicLong> counters, ByteString id) {
        return counters.computeIfAbsent(id, key -> new AtomicLong());
    }

    /** Times the agent sent more output than the server had granted; a test expects none. */
    public List<String> creditViolations() {
        return creditViolations;
    }

    /** Output credit granted to {@code id} so far (initial credits and ShellCredits, over every attachment). */
    public long granted(ByteString id) {
        return counter(granted, id).get();
    }

    /** Grants {@code id} its output credit back as its output arrives (a client that keeps up), or stops. */
    public void autoCredit(ByteString id, boolean on) {
        if (on) {
            autoCredit.add(id);
        } else {
            autoCredit.remove(id);
        }
    }

    public List<Envelope> frames(ByteString id) {
        return frames.stream().filter(e -> id.equals(sessionId(e))).toList();
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

    /** The output that followed the n-th ShellReady (from 1), e.g. the replay after an attach. */
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

    /** The exit, null until it came. */
    public ShellExit exit(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellExit).map(Envelope::getShellExit).findFirst()
                .orElse(null);
    }

    /** Input credit the agent returned for {@code id}. */
    public long inputCreditReturned(ByteString id) {
        return frames(id).stream().filter(Envelope::hasShellCredit).map(Envelope::getShellCredit)
                .mapToLong(ShellCredit::getBytes).sum();
    }

    /** How many output bytes arrived for {@code id}. */
    public long outputBytes(ByteString id) {
        return outputs(id).stream().mapToLong(o -> o.getData().size()).sum();
    }

    /** Every output byte for {@code id} in arrival order, as text. */
    public String text(ByteString id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        outputs(id).forEach(o -> out.writeBytes(o.getData().toByteArray()));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static ByteString sessionId(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case SHELL_READY -> envelope.getShellReady().getSessionId();
            case SHELL_ERROR -> envelope.getShellError().getSessionId();
            case SHELL_OUTPUT -> envelope.getShellOutput().getSessionId();
            case SHELL_EXIT -> envelope.getShellExit().getSessionId();
            case SHELL_CREDIT -> envelope.getShellCredit().getSessionId();
            default -> null;
        };
    }
}
