package dev.tether.agent.shell;

import com.google.protobuf.ByteString;
import dev.tether.agent.ShellSettings;
import dev.tether.agent.process.ChildEnvironment;
import dev.tether.agent.connection.ShellTraffic;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellClose;
import dev.tether.protocol.v1.ShellOpen;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's shell sessions, by id, and the answers to the server's shell
 * payloads (docs/protocol.md, "Shell sessions"). A refused request gets a
 * ShellError and changes nothing else: not the other sessions, not the connection.
 * With shells disabled every shell payload is answered {@code disabled}.
 *
 * <p>At most {@link ShellSettings#maxSessions()} sessions are held, attached,
 * detached or ended-and-kept alike (each holds a PTY or its scrollback). Sessions
 * outlive connections: {@link #disconnected()} detaches them all, and the next
 * Hello lists those a server may re-attach to. {@link #close()} (the agent stops)
 * terminates them all.
 *
 * <p>Thread safe. {@link #receive} runs on the connection's reader and never
 * blocks: programs start on the sessions' own threads, signals are sent from the
 * timer thread. The timer thread ({@code tether-shell-timer}) holds at most one idle
 * timer and one SIGKILL per session (cancelled timers are removed).
 */
public final class ShellRegistry implements ShellTraffic, AutoCloseable {

    /** The capability advertised in Hello when shells are enabled. */
    public static final String CAPABILITY = "shell";
    /** Longest {@code ShellOpen.term} accepted. */
    static final int MAX_TERM_LENGTH = 64;

    private static final Logger log = LoggerFactory.getLogger(ShellRegistry.class);

    /** Ended sessions remembered for late traffic. */
    static final int RECENTLY_ENDED = 256;
    /** How long the timer thread outlives the last shell timer. */
    static final Duration TIMER_IDLE = Duration.ofSeconds(30);

    private final ShellSettings settings;
    private final ShellProgram program;
    private final ShellOutbox outbox = new ShellOutbox();
    private final ScheduledThreadPoolExecutor timers;
    private final ShellSession.Context context;
    /** Written by the reader (open) and the sessions' pumps (end). */
    private final ConcurrentMap<ByteString, ShellSession> sessions = new ConcurrentHashMap<>();
    /** Set once by {@link #close()}. */
    private volatile boolean closed;
    /** Notified when a session ends, for {@link #close()}; guards nothing. */
    private final Object endings = new Object();
    /** Sessions that ended lately, so late traffic for them is dropped (see {@link #lateForEnded}). */
    private final Set<ByteString> recentlyEnded = Collections.newSetFromMap(Collections.synchronizedMap(
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<ByteString, Boolean> eldest) {
                    return size() > RECENTLY_ENDED;
                }
            }));

    private ShellRegistry(ShellSettings settings, ChildEnvironment children) {
        this.settings = settings;
        this.program = ShellProgram.create(settings, children);
        this.timers = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "tether-shell-timer");
            thread.setDaemon(true);
            return thread;
        });
        this.timers.setRemoveOnCancelPolicy(true);
        // Its thread ends a while after the last shell's timers: an agent whose shells are over holds none.
        this.timers.setKeepAliveTime(TIMER_IDLE.toMillis(), TimeUnit.MILLISECONDS);
        this.timers.allowCoreThreadTimeOut(true);
        this.context = new ShellSession.Context(program, outbox, timers, settings.idleTimeout(),
                settings.scrollbackBytes(), this::ended);
    }

    /**
     * The registry for {@code settings}.
     *
     * @param children the key kept out of every shell's environment, and the user shells run as
     * @param stateDir where pty4j unpacks its native library (unless the application chose a place)
     */
    public static ShellRegistry create(ShellSettings settings, ChildEnvironment children, Path stateDir) {
        if (settings.enabled()) {
            ShellProgram.unpackNativeCodeIn(stateDir);
        }
        return new ShellRegistry(settings, children);
    }

    /** {@code shell} when enabled, for the Hello. */
    public List<String> capabilities() {
        return settings.enabled() ? List.of(CAPABILITY) : List.of();
    }

    // ------------------------------------------------------------------ ShellTraffic

    @Override
    public void connected(Runnable wake, Runnable writeOrWake) {
        outbox.connected(wake, writeOrWake);
    }

    @Override
    public void receive(Envelope envelope) {
        ByteString id = sessionId(envelope);
        try {
            if (!settings.enabled()) {
                throw new ShellRefused(ShellErrorCode.DISABLED, "this agent runs without --enable-shell");
            }
            checkId(id);
            if (lateForEnded(id, envelope)) {
                return;
            }
            switch (envelope.getPayloadCase()) {
                case SHELL_OPEN -> open(id, envelope.getShellOpen());
                case SHELL_INPUT -> input(id, envelope.getShellInput().getData());
                case SHELL_RESIZE -> resize(id, envelope.getShellResize().getRows(),
                        envelope.getShellResize().getCols());
                case SHELL_CLOSE -> close(id, envelope.getShellClose());
                case SHELL_CREDIT -> session(id).credit(Integer.toUnsignedLong(envelope.getShellCredit().getBytes()));
                default -> throw new IllegalArgumentException("not a shell payload: " + envelope.getPayloadCase());
            }
        } catch (ShellRefused e) {
            log.debug("shell {}: {} refused ({}): {}", ShellFrames.shortName(id),
                    envelope.getPayloadCase().name().toLowerCase(), e.code().wire(), e.getMessage());
            outbox.error(id, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            // A defect here must not end the connection; the server hears of it as a refusal.
            log.error("shell {}: handling {} failed", ShellFrames.shortName(id),
                    envelope.getPayloadCase().name().toLowerCase(), e);
            outbox.error(id, envelope.hasShellOpen() ? ShellErrorCode.SPAWN_FAILED : ShellErrorCode.BAD_REQUEST,
                    "agent error: " + e);
        }
    }

    @Override
    public Envelope nextFrame() {
        return outbox.poll();
    }

    @Override
    public void written(Envelope frame) {
        outbox.written(frame);
    }

    @Override
    public boolean hasFrames() {
        return outbox.hasFrames();
    }

    @Override
    public void disconnected() {
        outbox.disconnected();
        sessions.values().forEach(ShellSession::detach);
    }

    @Override
    public List<ByteString> sessionIds() {
        return sessions.values().stream().filter(ShellSession::attachable).map(session -> session.id).toList();
    }

    @Override
    public int sessionCount() {
        return sessions.size();
    }

    @Override
    public long takeBufferedPeak() {
        return outbox.takePeak();
    }

    // ------------------------------------------------------------------ requests

    private void open(ByteString id, ShellOpen open) throws ShellRefused {
        if (open.getAttach()) {
            checkSize(open.getRows(), open.getCols());
            session(id).attach(open);
            log.info("shell {}: re-attached", ShellFrames.shortName(id));
            return;
        }
        if (sessions.containsKey(id)) {
            throw new ShellRefused(ShellErrorCode.EXISTS, "shell session " + ShellFrames.shortName(id)
                    + " exists; attach to it or pick another id");
        }
        checkSize(open.getRows(), open.getCols());
        checkCommandAndTerm(open);
        if (sessions.size() >= settings.maxSessions()) {
            throw new ShellRefused(ShellErrorCode.TOO_MANY_SESSIONS, "this agent holds " + sessions.size()
                    + " shell sessions, its maximum (--max-shells " + settings.maxSessions() + ")");
        }
        List<String> argv = program.argv(open.getCommandList());
        String problem = closed ? "the agent is stopping" : program.problem(argv);
        if (problem != null) {
            throw new ShellRefused(ShellErrorCode.SPAWN_FAILED, problem);
        }
        // In the map before its program starts: a start that fails at once then removes it again.
        ShellSession session = ShellSession.create(id, open, argv, context);
        sessions.put(id, session);
        session.start();
    }

    private void input(ByteString id, ByteString data) throws ShellRefused {
        ShellSession session = session(id);
        if (data.size() > Limits.SHELL_CHUNK_BYTES) {
            // Refused, but its credit comes back: the server counted it as spent.
            session.lane.returnInputCredit(data.size());
            throw new ShellRefused(ShellErrorCode.BAD_REQUEST, "input frames carry at most "
                    + Limits.SHELL_CHUNK_BYTES + " bytes, not " + data.size() + "; this one was dropped");
        }
        session.input(data.toByteArray());
    }

    private void resize(ByteString id, int rows, int cols) throws ShellRefused {
        ShellSession session = session(id);
        checkSize(rows, cols);
        session.resize(rows, cols);
    }

    private void close(ByteString id, ShellClose close) throws ShellRefused {
        ShellSession session = session(id);
        if (close.getTerminate()) {
            session.terminate(close.getReason().isEmpty() ? "closed by the server" : close.getReason());
        } else {
            session.detach();
            log.info("shell {}: detached{}", session.name, close.getReason().isEmpty() ? "" : " (" + close.getReason()
                    + ")");
        }
    }

    private ShellSession session(ByteString id) throws ShellRefused {
        ShellSession session = sessions.get(id);
        if (session == null) {
            throw new ShellRefused(ShellErrorCode.NOT_FOUND, "no shell session " + ShellFrames.shortName(id)
                    + " on this agent (it ended, or never existed)");
        }
        return session;
    }

    /**
     * Credit, input, a resize or a close for a session that just ended: the server sent it before it could
     * see the session's ShellExit, which is on its way. Answering "not found" would overtake that ShellExit
     * (errors are sent first) and make the server end the session as lost instead of exited.
     */
    private boolean lateForEnded(ByteString id, Envelope envelope) {
        if (envelope.hasShellOpen() || sessions.containsKey(id) || !recentlyEnded.contains(id)) {
            return false;
        }
        log.debug("shell {}: {} after the session ended; dropped", ShellFrames.shortName(id),
                envelope.getPayloadCase().name().toLowerCase());
        return true;
    }

    /** A pump ended its session (or its program could not start). */
    private void ended(ShellSession session) {
        recentlyEnded.add(session.id);
        sessions.remove(session.id, session);
        synchronized (endings) {
            endings.notifyAll();
        }
    }

    // ------------------------------------------------------------------ validation

    private static ByteString sessionId(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case SHELL_OPEN -> envelope.getShellOpen().getSessionId();
            case SHELL_INPUT -> envelope.getShellInput().getSessionId();
            case SHELL_RESIZE -> envelope.getShellResize().getSessionId();
            case SHELL_CLOSE -> envelope.getShellClose().getSessionId();
            case SHELL_CREDIT -> envelope.getShellCredit().getSessionId();
            default -> ByteString.EMPTY;
        };
    }

    private static void checkId(ByteString id) throws ShellRefused {
        if (id.size() != Limits.SHELL_SESSION_ID_BYTES) {
            throw new ShellRefused(ShellErrorCode.BAD_REQUEST, "session_id must be "
                    + Limits.SHELL_SESSION_ID_BYTES + " bytes, not " + id.size());
        }
    }

    private static void checkSize(int rows, int cols) throws ShellRefused {
        if (outOfRange(rows) || outOfRange(cols)) {
            throw new ShellRefused(ShellErrorCode.BAD_REQUEST, "rows and cols must be 1 to "
                    + Limits.MAX_TERMINAL_DIMENSION + ", not " + Integer.toUnsignedString(rows) + "x"
                    + Integer.toUnsignedString(cols));
        }
    }

    private static boolean outOfRange(int dimension) {
        return dimension < 1 || dimension > Limits.MAX_TERMINAL_DIMENSION;
    }

    private static void checkCommandAndTerm(ShellOpen open) throws ShellRefused {
        for (int i = 0; i < open.getCommandCount(); i++) {
            if (open.getCommand(i).isEmpty()) {
                throw new ShellRefused(ShellErrorCode.BAD_REQUEST, "command element " + i + " is empty");
            }
        }
        String term = open.getTerm();
        if (term.length() > MAX_TERM_LENGTH || !term.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            throw new ShellRefused(ShellErrorCode.BAD_REQUEST, "term must be up to " + MAX_TERM_LENGTH
                    + " printable ASCII characters without spaces, e.g. xterm-256color");
        }
    }

    // ------------------------------------------------------------------ stopping

    /**
     * Starts ending every session (SIGHUP and SIGTERM, SIGKILL after
     * {@link Limits#SHELL_KILL_GRACE}) and refuses new ones; returns at once.
     */
    public void terminateAll() {
        closed = true;
        sessions.values().forEach(session -> session.terminate("agent stopping"));
    }

    /**
     * {@link #terminateAll()}, then waits for the sessions to end, at most the
     * grace and a second. Idempotent.
     */
    @Override
    public void close() {
        terminateAll();
        long deadline = System.nanoTime() + Limits.SHELL_KILL_GRACE.plusSeconds(1).toNanos();
        synchronized (endings) {
            long left;
            while (!sessions.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(endings, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (!sessions.isEmpty()) {
            log.warn("{} shell session(s) did not end within {}", sessions.size(), Limits.SHELL_KILL_GRACE);
        }
        timers.shutdownNow();
    }
}
