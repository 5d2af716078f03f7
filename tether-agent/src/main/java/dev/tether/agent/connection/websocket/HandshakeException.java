package dev.tether.agent.connection.websocket;

import java.io.IOException;

/** The server's answer to the upgrade is not a valid WebSocket handshake; the message says what is wrong. */
public final class HandshakeException extends IOException {

    private static final long serialVersionUID = 1L;

    HandshakeException(String message) {
        super(message);
    }
}
