package dev.tether.agent.shell;

/**
 * The latest output of one shell session, in a ring of fixed capacity, numbered
 * by absolute stream offsets: the session's first output byte is offset 0 and
 * offsets never restart. It holds the bytes {@code [start(), end())}; appending
 * past the capacity drops the oldest ones, moving {@code start()} forward.
 *
 * <p>Not thread safe: owned by its {@link ShellSession}, used under its lock.
 */
final class Scrollback {

    private final byte[] ring;
    /** Offset one past the newest byte: how many bytes were ever appended. */
    private long end;

    Scrollback(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("scrollback capacity must be positive, not " + capacity);
        }
        this.ring = new byte[capacity];
    }

    int capacity() {
        return ring.length;
    }

    /** The offset of the oldest byte still held. */
    long start() {
        return Math.max(0, end - ring.length);
    }

    /** The offset the next appended byte gets. */
    long end() {
        return end;
    }

    /** Appends {@code length} bytes of {@code data} from {@code from}; only the last {@link #capacity()} stay. */
    void append(byte[] data, int from, int length) {
        if (length > ring.length) {
            from += length - ring.length;
            end += length - ring.length;
            length = ring.length;
        }
        int at = (int) (end % ring.length);
        int first = Math.min(length, ring.length - at);
        System.arraycopy(data, from, ring, at, first);
        System.arraycopy(data, from + first, ring, 0, length - first);
        end += length;
    }

    /**
     * Up to {@code max} bytes from {@code offset} on.
     *
     * @throws IllegalArgumentException when {@code offset} is not in {@code [start(), end()]}
     */
    byte[] copy(long offset, int max) {
        if (offset < start() || offset > end) {
            throw new IllegalArgumentException("offset " + offset + " is outside the scrollback [" + start() + ", "
                    + end + ")");
        }
        int length = (int) Math.min(max, end - offset);
        byte[] out = new byte[length];
        int at = (int) (offset % ring.length);
        int first = Math.min(length, ring.length - at);
        System.arraycopy(ring, at, out, 0, first);
        System.arraycopy(ring, 0, out, first, length - first);
        return out;
    }
}
