package dev.tether.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The {@code Sec-WebSocket-Accept} of an upgrade (RFC 6455 section 4.2.2): what the server answers to the
 * client's {@code Sec-WebSocket-Key}, and what the agent checks the answer against.
 */
public final class WebSocketAccept {

    /** Appended to the client's key before hashing, RFC 6455 section 1.3. */
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketAccept() {
    }

    /** The accept value for {@code key}, the base64 text the client sent. */
    public static String of(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }
}
