package dev.tether.cli.shell;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.jline.terminal.Attributes;
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
        return new LocalTerminal(terminal, interactive ? terminal.enterRawMode() : null);
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

    InputStream input() {
        return interactive() ? terminal.input() : System.in;
    }

    OutputStream output() {
        return interactive() ? terminal.output() : System.out;
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
