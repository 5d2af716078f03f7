package dev.tether.server.shell;

import com.google.protobuf.ByteString;
import dev.tether.protocol.Limits;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A shell session id: {@link Limits#SHELL_SESSION_ID_BYTES} random bytes on the
 * wire, 32 lowercase hex characters in URLs, JSON and the database. Immutable.
 */
public record ShellId(String hex) {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    public ShellId {
        if (!valid(hex)) {
            throw new IllegalArgumentException("a shell session id is " + 2 * Limits.SHELL_SESSION_ID_BYTES
                    + " hex characters");
        }
    }

    public static ShellId random() {
        byte[] bytes = new byte[Limits.SHELL_SESSION_ID_BYTES];
        RANDOM.nextBytes(bytes);
        return new ShellId(HEX.formatHex(bytes));
    }

    /** @return the id, or null when {@code text} is not one */
    public static ShellId parse(String text) {
        return valid(text) ? new ShellId(text) : null;
    }

    /** @return the id, or null when the bytes are not {@link Limits#SHELL_SESSION_ID_BYTES} long */
    public static ShellId of(ByteString bytes) {
        return bytes.size() == Limits.SHELL_SESSION_ID_BYTES ? new ShellId(HEX.formatHex(bytes.toByteArray())) : null;
    }

    public ByteString bytes() {
        return ByteString.copyFrom(HEX.parseHex(hex));
    }

    private static boolean valid(String text) {
        if (text == null || text.length() != 2 * Limits.SHELL_SESSION_ID_BYTES) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return hex;
    }
}
