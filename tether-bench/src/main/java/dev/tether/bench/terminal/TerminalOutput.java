package dev.tether.bench.terminal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Everything a terminal client has received, as counts and sightings rather
 * than text, so a gigabyte can stream through: the bytes so far, the last
 * byte, the last 256 bytes (for error messages), and markers armed with
 * {@link #expect} (found with their exact offset in the stream and the
 * {@link System#nanoTime} of the chunk that completed them). Times are taken
 * by the reader when a chunk arrives, so a waiting thread's wake-up delay is
 * not part of any figure.
 *
 * <p>Thread safe: one reader thread calls {@link #accept} and {@link #end};
 * measuring threads wait. {@link #lock} guards every field.
 */
public final class TerminalOutput {

    private static final int TAIL_BYTES = 256;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Marker> armed = new ArrayList<>();
    private final byte[] tail = new byte[TAIL_BYTES];
    private long total;
    private int lastByte = -1;
    /** The byte count a waiter in {@link #awaitTotal} wants, and when the chunk that reached it arrived. */
    private long totalTarget = Long.MAX_VALUE;
    private long totalReachedNanos;
    private String endReason;

    /** Counts one chunk received; called by the reader thread only. */
    public void accept(byte[] data, int offset, int length) {
        long now = System.nanoTime();
        lock.lock();
        try {
            for (Marker marker : armed) {
                marker.scan(data, offset, length, total, now);
            }
            armed.removeIf(Marker::found);
            long before = total;
            total += length;
            if (before < totalTarget && total >= totalTarget) {
                totalReachedNanos = now;
            }
            if (length > 0) {
                lastByte = data[offset + length - 1] & 0xff;
                keepTail(data, offset, length);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The stream ended (the session closed or the client failed); waiters stop waiting. */
    public void end(String reason) {
        lock.lock();
        try {
            if (endReason == null) {
                endReason = reason;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes received so far. */
    public long total() {
        lock.lock();
        try {
            return total;
        } finally {
            lock.unlock();
        }
    }

    /** The last byte received, or -1 before any. */
    public int lastByte() {
        lock.lock();
        try {
            return lastByte;
        } finally {
            lock.unlock();
        }
    }

    /** Why the stream ended, or null while it runs. */
    public String endReason() {
        lock.lock();
        try {
            return endReason;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts looking for {@code text} in what arrives from now on. Arm it
     * before sending what makes it appear. The text's first character must not
     * occur again in it, which lets it be matched byte by byte without backtracking.
     */
    public Marker expect(String text) {
        Marker marker = new Marker(text.getBytes(StandardCharsets.ISO_8859_1));
        lock.lock();
        try {
            armed.add(marker);
        } finally {
            lock.unlock();
        }
        return marker;
    }

    /**
     * Starts watching for the stream to reach {@code count} bytes in all; arm
     * it before sending what brings them, then {@link #awaitTotal}. One such
     * watch at a time (the echo measure's).
     */
    public void expectTotal(long count) {
        lock.lock();
        try {
            totalTarget = count;
            totalReachedNanos = total >= count ? System.nanoTime() : 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the count armed with {@link #expectTotal} is reached.
     *
     * @return the {@link System#nanoTime} at which the chunk that reached it arrived
     */
    public long awaitTotal(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (totalReachedNanos == 0) {
                waitUntil(deadline, () -> totalTarget + " bytes in all (" + total + " so far)");
            }
            return totalReachedNanos;
        } finally {
            totalTarget = Long.MAX_VALUE;
            lock.unlock();
        }
    }

    /** Waits on {@link #changed}; the lock is held. */
    private void waitUntil(long deadline, Supplier<String> what)
            throws TimeoutException, InterruptedException {
        if (endReason != null) {
            throw new TimeoutException("the terminal ended (" + endReason + ") before " + what.get()
                    + "; last output: " + tailText());
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimeoutException("no " + what.get() + " in time; last output: " + tailText());
        }
        changed.await(left, TimeUnit.NANOSECONDS);
    }

    private void keepTail(byte[] data, int offset, int length) {
        int keep = Math.min(length, TAIL_BYTES);
        System.arraycopy(tail, keep, tail, 0, TAIL_BYTES - keep);
        System.arraycopy(data, offset + length - keep, tail, TAIL_BYTES - keep, keep);
    }

    /** The last bytes received, printable, for error messages. The lock is held. */
    private String tailText() {
        int have = (int) Math.min(total, TAIL_BYTES);
        StringBuilder text = new StringBuilder();
        for (int i = TAIL_BYTES - have; i < TAIL_BYTES; i++) {
            int b = tail[i] & 0xff;
            text.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return "\"" + text + "\"";
    }

    /** Where a marker appeared: the offset of its first byte in the stream, and when it completed. */
    public record Sighting(long offset, long nanos) {
    }

    /** A text looked for in the stream; matched byte by byte by the reader under the output's lock. */
    public final class Marker {

        private final byte[] text;
        /** Guarded by the output's lock. */
        private int matched;
        private Sighting sighting;

        private Marker(byte[] text) {
            if (text.length == 0) {
                throw new IllegalArgumentException("a marker needs at least one character");
            }
            for (int i = 1; i < text.length; i++) {
                if (text[i] == text[0]) {
                    throw new IllegalArgumentException("a marker's first character must not occur again in it: "
                            + new String(text, StandardCharsets.ISO_8859_1));
                }
            }
            this.text = text;
        }

        private void scan(byte[] data, int offset, int length, long streamOffset, long now) {
            for (int i = 0; i < length; i++) {
                byte b = data[offset + i];
                if (b == text[matched]) {
                    if (++matched == text.length) {
                        sighting = new Sighting(streamOffset + i + 1 - text.length, now);
                        return;
                    }
                } else {
                    matched = b == text[0] ? 1 : 0;
                }
            }
        }

        private boolean found() {
            return sighting != null;
        }

        /** Waits until the marker has arrived. */
        public Sighting await(Duration timeout) throws TimeoutException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            lock.lock();
            try {
                while (sighting == null) {
                    waitUntil(deadline, () -> "\"" + new String(text, StandardCharsets.ISO_8859_1) + "\"");
                }
                return sighting;
            } finally {
                lock.unlock();
            }
        }

        public int length() {
            return text.length;
        }
    }
}
