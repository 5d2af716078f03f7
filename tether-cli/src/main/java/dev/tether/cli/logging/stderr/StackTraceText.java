package dev.tether.cli.logging.stderr;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A throwable as logback prints it, so that the agent's stack traces read as the server's: {@code Class: message}
 * (the class alone when there is no message), a tab and {@code at FRAME} a frame, the frames a cause shares with the
 * throwable it caused as {@code ... N common frames omitted}, {@code Caused by: } and (one tab further in)
 * {@code Suppressed: }, and a throwable met again in its own chain as {@code [CIRCULAR REFERENCE: ...]} with no
 * frames. Every line ends with the line separator.
 *
 * <p>Stateless.
 */
final class StackTraceText {

    private static final String LINE = System.lineSeparator();

    private StackTraceText() {
    }

    static String of(Throwable thrown) {
        StringBuilder out = new StringBuilder(2048);
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        append(out, "", 1, thrown, new StackTraceElement[0], seen);
        return out.toString();
    }

    /** {@code thrown}, its suppressed and its cause; {@code indent} tabs before each frame. */
    private static void append(StringBuilder out, String caption, int indent, Throwable thrown,
            StackTraceElement[] enclosing, Set<Throwable> seen) {
        tabs(out, indent - 1).append(caption);
        if (!seen.add(thrown)) {
            out.append("[CIRCULAR REFERENCE: ").append(thrown.getClass().getName()).append(": ")
                    .append(thrown.getMessage()).append(']').append(LINE);
            return;
        }
        out.append(thrown.getClass().getName());
        if (thrown.getMessage() != null) {
            out.append(": ").append(thrown.getMessage());
        }
        out.append(LINE);
        StackTraceElement[] frames = thrown.getStackTrace();
        int common = commonFrames(frames, enclosing);
        for (int i = 0; i < frames.length - common; i++) {
            tabs(out, indent).append("at ").append(frames[i]).append(LINE);
        }
        if (common > 0) {
            tabs(out, indent).append("... ").append(common).append(" common frames omitted").append(LINE);
        }
        for (Throwable suppressed : thrown.getSuppressed()) {
            append(out, "Suppressed: ", indent + 1, suppressed, frames, seen);
        }
        Throwable cause = thrown.getCause();
        if (cause != null) {
            append(out, "Caused by: ", indent, cause, frames, seen);
        }
    }

    /** How many frames at the bottom of {@code frames} are those at the bottom of {@code enclosing}. */
    private static int commonFrames(StackTraceElement[] frames, StackTraceElement[] enclosing) {
        int common = 0;
        for (int i = frames.length - 1, j = enclosing.length - 1; i >= 0 && j >= 0; i--, j--) {
            if (!frames[i].equals(enclosing[j])) {
                break;
            }
            common++;
        }
        return common;
    }

    private static StringBuilder tabs(StringBuilder out, int count) {
        return out.repeat('\t', Math.max(0, count));
    }
}
