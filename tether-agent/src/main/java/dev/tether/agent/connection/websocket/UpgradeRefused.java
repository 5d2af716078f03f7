package dev.tether.agent.connection.websocket;

import java.io.IOException;
import java.util.Map;

/** The server answered the upgrade with an HTTP status other than 101; the body is not read. */
public final class UpgradeRefused extends IOException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Map<String, String> headers;

    UpgradeRefused(int status, Map<String, String> headers) {
        super("the server refused the upgrade with HTTP " + status, null);
        this.status = status;
        this.headers = headers;
    }

    public int status() {
        return status;
    }

    /** A response header by its lower-case name, or null. */
    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
