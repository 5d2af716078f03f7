package dev.tether.server.store;

import dev.tether.protocol.v1.Envelope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The newest committed rows of the outboxes of the agents connected to this server, in memory, so that a
 * session sends what a transaction just appended (a command to 10,000 agents appends one row each) without
 * reading it back from the database.
 *
 * <h2>What a tail holds</h2>
 * Each connected agent's session {@link #open opens} a {@link Tail}: consecutive envelopes exactly as committed
 * (seq, stamp, bytes), and, when known, the <em>end</em>: the highest seq committed to the agent's outbox. A
 * transaction that appends reports each stored envelope ({@link Appends#appended}) while it holds the agent's
 * counter (the row lock that orders every append of that agent), which moves the tail's version on and makes
 * its end unknown; after the commit, {@link Appends#committed} hands the envelopes to the tail, which takes
 * them only if its version is still the one the transaction saw: no other append or rewrite of that agent
 * started since, so they continue the outbox up to its end. A rewrite in place (a cancel turning a
 * CommandRequest into a CancelJob) or a renumbering empties the tail and moves its version on inside its
 * transaction, so nothing read from the tail afterwards can be the old payload, and no earlier transaction's
 * envelopes arrive late.
 *
 * <p>The end is also learnt from a read of the database that came back short ({@link Tail#readToEnd}), when
 * the tail's version did not move during the read and every append it saw has entered it: then nothing was
 * committed after what the read returned. An append that started before the tail was opened cannot move its
 * version, so its {@link Appends#committed} empties any tail of the agent opened since, before the session is
 * woken to send it. An idle agent's session then stops asking the database every turn whether anything waits.
 *
 * <p>A tail {@link Tail#read reads} only from exactly the seq asked for: anything else (an empty or
 * invalidated tail, a seq it does not start at, an unknown end) says "ask the database", so a tail can make a
 * session skip the database but never skip or repeat a payload. Only committed envelopes enter it.
 *
 * <p>Only on SQLite, where one server owns the database: on PostgreSQL another node may append to or rewrite
 * an agent's outbox without this node seeing it happen, so every tail there is a permanent "ask the database".
 *
 * <p>Bounds: {@link #MAX_ENTRIES} envelopes and {@link #MAX_BYTES_PER_AGENT} per agent, {@link #MAX_BYTES}
 * over all; an append beyond them empties the tail (its session reads the database instead). A tail lives
 * while its session does.
 *
 * <p>Thread safe: the map is concurrent, each tail guards its own state with its monitor.
 */
public final class OutboxTails {

    /** Envelopes one agent's tail holds at most. */
    static final int MAX_ENTRIES = 256;
    /** Serialized bytes one agent's tail holds at most. */
    static final long MAX_BYTES_PER_AGENT = 256L * 1024;
    /** Serialized bytes all tails hold together at most. */
    static final long MAX_BYTES = 64L * 1024 * 1024;

    private final boolean enabled;
    private final Map<String, Tail> tails = new ConcurrentHashMap<>();
    /** Bytes held by every tail together. */
    private final AtomicLong bytes = new AtomicLong();

    private OutboxTails(boolean enabled) {
        this.enabled = enabled;
    }

    /** Tails for a database of this dialect: kept on SQLite, always empty on PostgreSQL (see above). */
    static OutboxTails forDialect(Dialect dialect) {
        return new OutboxTails(dialect == Dialect.SQLITE);
    }

    /**
     * The tail of a session of the agent that starts now; the tail of an earlier session of the agent is
     * closed, so that a connection taken over reads the (fenced) database again.
     */
    public Tail open(String agentId) {
        Tail tail = new Tail(agentId, enabled);
        Tail previous = enabled ? tails.put(agentId, tail) : null;
        if (previous != null) {
            previous.close();
        }
        return tail;
    }

    /** The session of the tail ended. */
    public void close(Tail tail) {
        tails.remove(tail.agentId, tail);
        tail.close();
    }

    /** One transaction's appends and rewrites; create it inside the transaction. */
    public Appends appends() {
        return new Appends();
    }

    /** Empties the agent's tail now (its outbox is being renumbered); call inside the transaction. */
    void rewriting(String agentId) {
        Tail tail = tails.get(agentId);
        if (tail != null) {
            tail.invalidate();
        }
    }

    /** Bytes held by every tail. */
    long bytes() {
        return bytes.get();
    }

    /**
     * What one transaction appended to or rewrote in outboxes, reported while it runs and handed to the tails
     * after it committed. Not thread safe: owned by the thread running the transaction, then by the one that
     * calls {@link #committed}. A transaction that runs again must start from a new one.
     */
    public final class Appends {

        /** By agent, every agent whose outbox this transaction appended to or rewrote. */
        private final Map<String, Pending> pending = new LinkedHashMap<>();

        private Appends() {
        }

        /** {@code stored} (seq and stamp set) was appended to the agent's outbox; the agent's counter is held. */
        public void appended(String agentId, Envelope stored) {
            Tail tail = tails.get(agentId);
            Pending appended = pending.computeIfAbsent(agentId, id -> new Pending(tail));
            if (tail == null || tail != appended.tail) {
                appended.fill = false;
                return;
            }
            appended.add(tail.appending(), stored);
        }

        /** A pending row of the agent's outbox was rewritten in place. */
        public void rewritten(String agentId) {
            Tail tail = tails.get(agentId);
            if (tail != null) {
                tail.invalidate();
            }
            pending.computeIfAbsent(agentId, id -> new Pending(tail)).fill = false;
        }

        /**
         * The transaction committed: its envelopes go to the tails that saw nothing else happen since. A tail
         * opened while it ran (a new session of the agent) did not see it happen: it forgets what it knows.
         */
        public void committed() {
            pending.forEach((agentId, appended) -> {
                if (appended.fill && appended.tail != null) {
                    appended.tail.fill(appended.version, appended.envelopes);
                }
                Tail current = tails.get(agentId);
                if (current != null && current != appended.tail) {
                    current.invalidate();
                }
            });
            pending.clear();
        }
    }

    /** One agent's envelopes from one transaction, with the tail it saw and the version its last append set. */
    private static final class Pending {
        final Tail tail;
        long version;
        final List<Envelope> envelopes = new ArrayList<>();
        /** Whether the envelopes may enter {@link #tail}: false after a rewrite, or without a tail. */
        boolean fill = true;

        Pending(Tail tail) {
            this.tail = tail;
        }

        void add(long newVersion, Envelope stored) {
            version = newVersion;
            envelopes.add(stored);
        }
    }

    /** The committed end of one agent's outbox, as far as this server knows it; see {@link OutboxTails}. */
    public final class Tail {

        private final String agentId;
        private final boolean enabled;
        // All fields below guarded by this.
        /** Moved on by every append and rewrite of the agent's outbox that started while this tail was open. */
        private long version;
        /** Consecutive committed envelopes, ascending by seq; null when there are none. */
        private ArrayDeque<Envelope> entries;
        /** Serialized bytes of {@link #entries}. */
        private long entryBytes;
        /** The highest seq committed to the outbox, -1 when not known. */
        private long end = -1;
        /**
         * An append or rewrite started and its envelopes have not entered the tail (it is still running, or it
         * rolled back, or the tail refused them): a read of the database cannot tell the end then.
         */
        private boolean unsettled;
        private boolean closed;

        private Tail(String agentId, boolean enabled) {
            this.agentId = agentId;
            this.enabled = enabled;
        }

        /**
         * The envelopes from {@code fromSeq} on, ascending, at most {@code max}, taken out of the tail; an empty
         * list when the outbox is known to hold nothing from there; null when the tail cannot tell (read the
         * database).
         */
        public synchronized List<Envelope> read(long fromSeq, int max) {
            if (closed || !enabled) {
                return null;
            }
            while (entries != null && !entries.isEmpty() && entries.peekFirst().getSeq() < fromSeq) {
                release(entries.pollFirst());
            }
            if (entries == null || entries.isEmpty()) {
                return end >= 0 && fromSeq == end + 1 ? List.of() : null;
            }
            if (entries.peekFirst().getSeq() != fromSeq) {
                return null;
            }
            List<Envelope> out = new ArrayList<>(Math.min(max, entries.size()));
            while (out.size() < max && !entries.isEmpty()) {
                Envelope next = entries.pollFirst();
                release(next);
                out.add(next);
            }
            return out;
        }

        /**
         * The version to hand to {@link #readToEnd} after a read of the database that starts now: taken before
         * the read, so that any append starting meanwhile shows.
         */
        public synchronized long version() {
            return version;
        }

        /**
         * A read of the database from {@code fromSeq} returned {@code read}, fewer than it asked for: so nothing
         * was committed after them when it ran. Taken as the end when the tail was {@code seenVersion} before the
         * read and still is, and every append that started before it has entered the tail (then it committed
         * before the read began, which saw it). An idle agent's session then stops asking the database every
         * turn whether anything is there to send.
         */
        public synchronized void readToEnd(long seenVersion, long fromSeq, List<Envelope> read) {
            if (closed || !enabled || unsettled || seenVersion != version || (entries != null && !entries.isEmpty())) {
                return;
            }
            end = read.isEmpty() ? fromSeq - 1 : read.getLast().getSeq();
        }

        private synchronized long appending() {
            end = -1;
            unsettled = true;
            return ++version;
        }

        private synchronized void invalidate() {
            version++;
            end = -1;
            unsettled = true;
            clear();
        }

        private synchronized void fill(long seenVersion, List<Envelope> appended) {
            if (closed || seenVersion != version || appended.isEmpty()) {
                return;
            }
            if (entries == null) {
                entries = new ArrayDeque<>();
            } else if (!entries.isEmpty() && entries.peekLast().getSeq() + 1 != appended.getFirst().getSeq()) {
                clear();
            }
            long added = 0;
            for (Envelope envelope : appended) {
                added += envelope.getSerializedSize();
            }
            boolean withinAgent = entries.size() + appended.size() <= MAX_ENTRIES
                    && entryBytes + added <= MAX_BYTES_PER_AGENT;
            if (!withinAgent || bytes.addAndGet(added) > MAX_BYTES) {
                if (withinAgent) {
                    bytes.addAndGet(-added);
                }
                // Over a bound: the session reads this stretch from the database.
                clear();
                return;
            }
            entries.addAll(appended);
            entryBytes += added;
            end = appended.getLast().getSeq();
            unsettled = false;
        }

        private synchronized void close() {
            closed = true;
            clear();
        }

        /** Empties the tail; the caller holds this. */
        private void clear() {
            if (entries != null) {
                entries = null;
                bytes.addAndGet(-entryBytes);
                entryBytes = 0;
            }
        }

        /** One envelope left the tail; the caller holds this. */
        private void release(Envelope envelope) {
            long size = envelope.getSerializedSize();
            entryBytes -= size;
            bytes.addAndGet(-size);
        }
    }
}
