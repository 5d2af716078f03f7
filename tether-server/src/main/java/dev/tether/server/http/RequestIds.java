package dev.tether.server.http;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.MDC;

/**
 * Request ids: every HTTP request gets one, echoed in the {@value #HEADER} response header, logged in its
 * access-log line and (while the request's handlers run) in the logging MDC under {@value #MDC_KEY}.
 *
 * <p>An id a client or a proxy sends in {@value #HEADER} is kept when it is sane: 1 to {@value #MAX_LENGTH}
 * characters, each a letter, a digit or one of {@code -._~:+/=@} (enough for UUIDs, ULIDs, base64 and
 * tracing-style ids). Anything else (too long, spaces, quotes, control characters, NUL, non-ASCII) is replaced by
 * a generated id, so an id is always safe to write into a log line or a response header. Generated ids are
 * 32 hex digits of {@link ThreadLocalRandom}: unique enough to find a request, not a secret. Stateless.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "request_id";
    /** Longest incoming id kept. */
    public static final int MAX_LENGTH = 128;
    private static final String SYMBOLS = "-._~:+/=@";

    private RequestIds() {
    }

    /** {@code incoming} when it is a sane id, else a new one. */
    public static String acceptOrGenerate(String incoming) {
        return sane(incoming) ? incoming : generate();
    }

    static boolean sane(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alphanumeric && SYMBOLS.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Puts {@code id} (null: nothing) in this thread's MDC until the returned scope is closed, which puts back
     * what was there: a response may end, and be logged, inside a handler that has its own request's id set.
     */
    public static MdcScope inMdc(String id) {
        String outer = MDC.get(MDC_KEY);
        if (id != null) {
            MDC.put(MDC_KEY, id);
        }
        return () -> {
            if (outer == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, outer);
            }
        };
    }

    /** A request id's stay in the MDC. */
    public interface MdcScope extends AutoCloseable {
        @Override
        void close();
    }

    static String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }
}
