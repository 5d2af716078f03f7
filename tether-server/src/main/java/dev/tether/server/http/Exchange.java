package dev.tether.server.http;

/**
 * One HTTP request and its response as the access log and the request histogram see them: created when the
 * request head arrives, finished when the response's last byte is written, or, for a WebSocket (status 101),
 * when the connection closes, or when the connection closes before a response ended.
 *
 * <p>Not thread safe: owned by its connection's event loop, like every field below.
 */
final class Exchange {

    /** Longest path written to the access log; the rest is cut (a request line may be 4 KiB). */
    static final int MAX_LOGGED_PATH = 256;

    final String id;
    final long startNanos;
    final String method;
    /** The path without the query string (which may carry secrets), printable ASCII only. */
    final String path;
    final String route;
    /** The response status; 0 until a (non-informational) response head is written. */
    int status;
    /** Response body bytes, and for a WebSocket the payload bytes of the frames sent. */
    long bytes;
    /** Who the request authenticated as, when a handler said so ({@link AccessLog#principal}). */
    String principal;

    Exchange(String id, long startNanos, String method, String path, String route) {
        this.id = id;
        this.startNanos = startNanos;
        this.method = method;
        this.path = path;
        this.route = route;
    }

    boolean upgraded() {
        return status == 101;
    }

    /**
     * {@code text} with every character outside printable ASCII as {@code ?}, cut at {@code max} characters:
     * a request target is bytes the client chose, and must not be able to forge or break a log line.
     */
    static String printable(String text, int max) {
        if (text.length() <= max && isPrintable(text)) {
            // The usual case, and no copy: a WebSocket's exchange is kept for as long as the connection lasts.
            return text;
        }
        int length = Math.min(text.length(), max);
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            out.append(c > ' ' && c < 0x7f ? c : '?');
        }
        if (text.length() > max) {
            out.append("...");
        }
        return out.toString();
    }

    private static boolean isPrintable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
