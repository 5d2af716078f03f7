package dev.tether.agent.testing;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellClose;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellInput;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellResize;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/** Server-to-agent shell payloads, as a server builds them. */
public final class ShellMessages {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ShellMessages() {
    }

    /** A new random 16-byte session id. */
    public static ByteString newId() {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return ByteString.copyFrom(id);
    }

    /** An id in hex, for messages. */
    public static String hex(ByteString id) {
        return HexFormat.of().formatHex(id.toByteArray());
    }

    /** Opens {@code command} (empty: the agent's shell) on a rows x cols terminal with {@code credit} output credit. */
    public static ShellOpen.Builder open(ByteString id, int rows, int cols, int credit, String... command) {
        return ShellOpen.newBuilder().setSessionId(id).setRows(rows).setCols(cols).setCredit(credit)
                .addAllCommand(List.of(command));
    }

    public static ShellOpen.Builder attach(ByteString id, long resumeOffset, int credit) {
        return ShellOpen.newBuilder().setSessionId(id).setAttach(true).setResumeOffset(resumeOffset)
                .setCredit(credit).setRows(24).setCols(80);
    }

    public static Envelope envelope(ShellOpen.Builder open) {
        return Envelope.newBuilder().setShellOpen(open).build();
    }

    public static Envelope input(ByteString id, String text) {
        return input(id, text.getBytes(StandardCharsets.UTF_8));
    }

    public static Envelope input(ByteString id, byte[] data) {
        return Envelope.newBuilder().setShellInput(ShellInput.newBuilder().setSessionId(id)
                .setData(ByteString.copyFrom(data))).build();
    }

    public static Envelope resize(ByteString id, int rows, int cols) {
        return Envelope.newBuilder().setShellResize(ShellResize.newBuilder().setSessionId(id).setRows(rows)
                .setCols(cols)).build();
    }

    public static Envelope credit(ByteString id, int bytes) {
        return Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder().setSessionId(id).setBytes(bytes))
                .build();
    }

    public static Envelope close(ByteString id, boolean terminate) {
        return Envelope.newBuilder().setShellClose(ShellClose.newBuilder().setSessionId(id)
                .setTerminate(terminate).setReason(terminate ? "test closes" : "test detaches")).build();
    }
}
