package dev.tether.cli.shell;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.WritableByteChannel;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.OutputFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The terminal {@code tether shell} runs in. On a real terminal it switches to
 * raw mode (every key goes to the remote side, Ctrl-C included, nothing is
 * echoed locally) and reports window size changes (SIGWINCH); {@link #close}
 * restores the previous mode. When stdin or stdout is not a terminal (a script
 * piping input) it passes bytes through unchanged with a fixed size.
 *
 * <p>JLine only sets the mode and reports the size: the session's bytes go
 * straight to and from file descriptors 0 and 1, not through JLine's streams
 * (whose input is read one byte per call, and whose output is copied into a
 * buffer of its own), so the path costs one system call per read or write.
 * Raw mode here is the one {@code ssh} sets: besides JLine's (no echo, no line
 * editing, no CR/NL translation on input), reads return as soon as one byte is
 * there and output is not post-processed (the remote PTY already did).
 *
 * <p>Not thread safe, except {@link #onResize} callbacks, which run on JLine's signal thread.
 */
final class LocalTerminal implements AutoCloseable {

    /** Size used when there is no terminal to ask. */
    static final int DEFAULT_ROWS = 24;
    static final int DEFAULT_COLS = 80;

    private final Terminal terminal;
    private final Attributes saved;

    private LocalTerminal(Terminal terminal, Attributes saved) {
        this.terminal = terminal;
        this.saved = saved;
    }

    static LocalTerminal open() throws IOException {
        Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
        boolean interactive = !Terminal.TYPE_DUMB.equals(terminal.getType())
                && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
        return new LocalTerminal(terminal, interactive ? enterRawMode(terminal) : null);
    }

    /** Raw mode as {@code ssh} sets it; returns the mode to restore. */
    private static Attributes enterRawMode(Terminal terminal) {
        Attributes saved = terminal.enterRawMode();
        Attributes raw = terminal.getAttributes();
        // JLine's raw mode polls (VMIN 0, VTIME 1): a read of file descriptor 0 would return 0, which Java takes
        // for the end of input.
        raw.setControlChar(ControlChar.VMIN, 1);
        raw.setControlChar(ControlChar.VTIME, 0);
        raw.setOutputFlag(OutputFlag.OPOST, false);
        terminal.setAttributes(raw);
        return saved;
    }

    boolean interactive() {
        return saved != null;
    }

    int rows() {
        Size size = terminal.getSize();
        return interactive() && size.getRows() > 0 ? size.getRows() : DEFAULT_ROWS;
    }

    int cols() {
        Size size = terminal.getSize();
        return interactive() && size.getColumns() > 0 ? size.getColumns() : DEFAULT_COLS;
    }

    /** Calls {@code listener} with the new rows and columns whenever the window is resized. */
    void onResize(ResizeListener listener) {
        if (interactive()) {
            terminal.handle(Terminal.Signal.WINCH, signal -> listener.resized(rows(), cols()));
        }
    }

    interface ResizeListener {
        void resized(int rows, int cols);
    }

    /** Standard input, unbuffered: keystrokes or piped input. Not closed by {@link #close}. */
    InputStream input() {
        return new FileInputStream(FileDescriptor.in);
    }

    /** Standard output, unbuffered: each write is one system call. Not closed by {@link #close}. */
    WritableByteChannel output() {
        return new FileOutputStream(FileDescriptor.out).getChannel();
    }

    /** A line for the user, outside the remote output (raw mode needs the carriage return). */
    void notice(String text) {
        System.err.print("tether: " + text + (interactive() ? "\r\n" : "\n"));
        System.err.flush();
    }

    @Override
    public void close() throws IOException {
        if (saved != null) {
            terminal.setAttributes(saved);
        }
        terminal.close();
    }
}
