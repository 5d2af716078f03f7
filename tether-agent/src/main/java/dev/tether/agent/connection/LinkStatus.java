package dev.tether.agent.connection;

import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the agent is connected now, to which server, since when, and in which session; for
 * {@code tether agent status}. Each change is also handed to a {@link Journal} that keeps it across restarts.
 * Thread safe: the connection loop writes, the status reader reads.
 */
public final class LinkStatus {

    private static final Logger log = LoggerFactory.getLogger(LinkStatus.class);

    /** Keeps the changes on disk; a failure to keep one is logged, and the connection goes on. */
    public interface Journal {
        Journal NONE = new Journal() {
            @Override
            public void connected(String server, long atMs) {
            }

            @Override
            public void ended(String why, long atMs) {
            }
        };

        void connected(String server, long atMs);

        void ended(String why, long atMs);
    }

    /**
     * One moment's status.
     *
     * @param server the server of the session, or the one being dialed when not connected
     * @param sinceMs when the session began, or when the agent last lost (or, never connected, began seeking) one
     * @param sessionId the session's id; null when not connected
     */
    public record Now(boolean connected, String server, long sinceMs, String sessionId) {
    }

    private final Journal journal;
    private Now now;

    public LinkStatus(Journal journal, long startedMs) {
        this.journal = journal;
        this.now = new Now(false, null, startedMs, null);
    }

    public synchronized Now now() {
        return now;
    }

    /** A session with {@code server} is established. */
    void connected(URI server, String sessionId, long atMs) {
        synchronized (this) {
            now = new Now(true, server.toString(), atMs, sessionId);
        }
        keep(() -> journal.connected(server.toString(), atMs));
    }

    /** A session or a connection attempt to {@code server} ended; {@code why} is null when the agent stops. */
    void ended(URI server, String why, long atMs) {
        synchronized (this) {
            now = new Now(false, server.toString(), now.connected() ? atMs : now.sinceMs(), null);
        }
        keep(() -> journal.ended(why, atMs));
    }

    private static void keep(Runnable write) {
        try {
            write.run();
        } catch (RuntimeException e) {
            log.warn("could not keep the connection's history in the state dir: {}", e.getMessage());
        }
    }
}
