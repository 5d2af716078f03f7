package dev.tether.server.api;

import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.events.EventFilter;
import dev.tether.server.events.EventLog;
import dev.tether.server.events.EventSubscriber;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of {@code GET /api/v1/events}: first the stored events after its
 * starting point (read in pages up to the broadcaster's cursor at subscription),
 * then live events from the {@link EventBroadcaster}, each sent once, in id
 * order. Without follow it ends after the stored ones.
 *
 * <p>Bound: live events waiting for a slow client take at most
 * {@link #MAX_BUFFERED_BYTES}; beyond that the client is disconnected (a last
 * comment says why) and may resume with {@code Last-Event-ID}.
 *
 * <p>Threads: {@link #offer} runs on the broadcaster's database thread and only
 * queues; everything else runs on the request's event loop.
 */
final class EventStreamSession implements EventSubscriber {

    /** Live events a client may have waiting, in bytes of their data; more disconnects it. */
    static final long MAX_BUFFERED_BYTES = 1024 * 1024;
    /** Stored events read per query. */
    static final int PAGE = 500;
    /** Per-event bytes beyond the data: the framing. */
    private static final int FRAMING_BYTES = 64;
    private static final Logger LOG = LoggerFactory.getLogger(EventStreamSession.class);

    private final Context context;
    private final DbExecutor executor;
    private final EventLog log;
    private final EventFilter filter;
    private final ServerMetrics metrics;
    private final Queue<ServerEvent> live = new ConcurrentLinkedQueue<>();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicBoolean pumpQueued = new AtomicBoolean();
    private volatile boolean overflowed;
    // Event loop only.
    private SseStream sse;
    private long lastSent;
    private long backlogUpTo;
    private boolean backlogDone;
    private boolean follow;
    private boolean reading;

    EventStreamSession(Context context, DbExecutor executor, EventLog log, EventFilter filter, ServerMetrics metrics) {
        this.context = context;
        this.executor = executor;
        this.log = log;
        this.filter = filter;
        this.metrics = metrics;
    }

    /**
     * Starts sending.
     *
     * @param after send stored events after this id, then live ones (or end, without follow)
     * @param upTo the broadcaster's cursor at subscription (with follow), else {@code Long.MAX_VALUE}
     */
    void start(SseStream stream, long after, long upTo, boolean following) {
        this.sse = stream;
        this.lastSent = after;
        this.backlogUpTo = upTo;
        this.follow = following;
        pump();
    }

    /** Sends these stored events and ends (recent events, without follow). */
    void sendAndEnd(SseStream stream, List<ServerEvent> events) {
        this.sse = stream;
        events.forEach(this::write);
        sse.end();
    }

    /** Tells the client events it asked for were pruned before it resumed. */
    static void gap(SseStream stream, long after, long oldest) {
        stream.event(null, "gap", new JsonObject().put("after", after).put("oldest", oldest).encode());
    }

    @Override
    public void offer(ServerEvent event) {
        if (overflowed || !filter.matches(event)) {
            return;
        }
        if (liveBytes.addAndGet(size(event)) > MAX_BUFFERED_BYTES) {
            overflowed = true;
            context.runOnContext(v -> overflow());
            return;
        }
        live.add(event);
        if (pumpQueued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                pumpQueued.set(false);
                pump();
            });
        }
    }

    void pump() {
        if (sse == null || sse.ended() || overflowed) {
            return;
        }
        if (!backlogDone) {
            readBacklog();
            return;
        }
        ServerEvent event;
        while (sse.writable() && (event = live.poll()) != null) {
            liveBytes.addAndGet(-size(event));
            if (event.id() > lastSent) {
                write(event);
            }
        }
    }

    private void readBacklog() {
        if (reading || !sse.writable()) {
            return;
        }
        reading = true;
        executor.call(context, () -> log.between(lastSent, backlogUpTo, filter, PAGE))
                .onSuccess(page -> {
                    reading = false;
                    page.forEach(this::write);
                    if (page.size() < PAGE) {
                        backlogDone = true;
                        if (!follow) {
                            sse.end();
                            return;
                        }
                    }
                    pump();
                })
                .onFailure(failure -> {
                    LOG.warn("event stream failed to read stored events", failure);
                    sse.end();
                });
    }

    private void write(ServerEvent event) {
        sse.raw(event.sse());
        lastSent = event.id();
    }

    private void overflow() {
        metrics.eventStreamOverflowed();
        LOG.info("event stream client disconnected: more than {} bytes of events waiting", MAX_BUFFERED_BYTES);
        if (sse != null) {
            sse.comment("disconnected: more than " + MAX_BUFFERED_BYTES + " bytes of events waited for this client;"
                    + " reconnect with Last-Event-ID " + lastSent + " to resume");
            sse.disconnect();
        }
    }

    private static long size(ServerEvent event) {
        return event.payload().length() + event.type().length() + FRAMING_BYTES;
    }
}
