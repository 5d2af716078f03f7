package dev.tether.server.testing;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobFinished.Outcome;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.protocol.v1.JobStarted;
import dev.tether.protocol.v1.Welcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A scripted agent that runs jobs: over a {@link TestAgent} it applies every
 * reliable payload the server sends (acknowledging it), answers each
 * CommandRequest as its {@link Script} says with JobEvents (started, output,
 * finished), answers a request past its deadline with EXPIRED and a CancelJob
 * with CANCELLED, as the real agent does.
 *
 * <p>Threads: a reader thread hands envelopes to one worker thread, which owns
 * all job state and sends everything, so seqs go out in order.
 */
public final class JobAgent implements AutoCloseable {

    /**
     * What to do with a job: run for {@code runFor}, print {@code stdout}, end with {@code outcome}.
     * A null script accepts the job and never starts it.
     */
    public record Script(Duration runFor, String stdout, Outcome outcome, int exitCode, String error) {

        public static Script succeed(String stdout) {
            return new Script(Duration.ZERO, stdout, Outcome.SUCCEEDED, 0, "");
        }

        public static Script fail(int exitCode) {
            return new Script(Duration.ZERO, "", Outcome.FAILED, exitCode, "");
        }

        /** Runs until cancelled. */
        public static Script hang() {
            return new Script(Duration.ofHours(1), "", Outcome.SUCCEEDED, 0, "");
        }

        public Script taking(Duration time) {
            return new Script(time, stdout, outcome, exitCode, error);
        }
    }

    private final TestAgent connection;
    private final Function<CommandRequest, Script> behaviour;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor();
    private final Thread reader;
    private final List<Envelope> receivedReliable = new CopyOnWriteArrayList<>();
    /** nanoTime when each job's CommandRequest arrived, and when its JobFinished was sent. */
    private final Map<String, Long> receivedAt = new ConcurrentHashMap<>();
    private final Map<String, Long> finishedAt = new ConcurrentHashMap<>();
    private volatile boolean closed;
    // Worker thread only.
    private final Map<String, ScheduledFuture<?>> running = new HashMap<>();
    private final Map<String, Boolean> known = new HashMap<>();
    private long lastSent;
    private long applied;

    private JobAgent(TestAgent connection, Function<CommandRequest, Script> behaviour, long applied, long lastSent) {
        this.connection = connection;
        this.behaviour = behaviour;
        this.applied = applied;
        this.lastSent = lastSent;
        this.reader = Thread.ofPlatform().daemon().name("job-agent-reader").start(this::read);
    }

    /** Connects a fresh agent (nothing applied, nothing sent) and completes the handshake. */
    public static JobAgent connect(int port, String key, Function<CommandRequest, Script> behaviour) {
        return reconnect(port, key, behaviour, 0, 0);
    }

    /** Connects an agent that applied server seqs up to {@code applied} and sent its own up to {@code lastSent}. */
    public static JobAgent reconnect(int port, String key, Function<CommandRequest, Script> behaviour, long applied,
            long lastSent) {
        TestAgent connection = TestAgent.connect(port, key);
        Hello.Builder hello = TestAgent.defaultHello().setAppliedServerSeq(applied).setResumeAgentSeq(lastSent + 1);
        Welcome welcome = connection.hello(hello);
        if (welcome.getAppliedAgentSeq() != lastSent) {
            throw new AssertionError("the server applied " + welcome.getAppliedAgentSeq() + ", expected " + lastSent);
        }
        return new JobAgent(connection, behaviour, applied, lastSent);
    }

    /** Every reliable envelope received and applied, in order. */
    public List<Envelope> received() {
        return List.copyOf(receivedReliable);
    }

    public List<CommandRequest> commands() {
        return receivedReliable.stream().filter(Envelope::hasCommand).map(Envelope::getCommand).toList();
    }

    /** {@link System#nanoTime} when the job's CommandRequest arrived, or null. */
    public Long receivedAt(String jobId) {
        return receivedAt.get(jobId);
    }

    /** {@link System#nanoTime} when the agent sent the job's JobFinished, or null. */
    public Long finishedAt(String jobId) {
        return finishedAt.get(jobId);
    }

    public long applied() {
        return call(() -> applied);
    }

    public long lastSent() {
        return call(() -> lastSent);
    }

    public TestAgent connection() {
        return connection;
    }

    /** Sends a job event as the agent would, with the next seq. */
    public void send(JobEvent event) {
        worker.execute(() -> sendReliable(event));
    }

    private void read() {
        while (!closed && !connection.isClosed()) {
            Envelope envelope = connection.next(Duration.ofMillis(100));
            if (envelope != null && envelope.getSeq() > 0) {
                worker.execute(() -> apply(envelope));
            }
        }
    }

    private void apply(Envelope envelope) {
        if (envelope.getSeq() > applied) {
            applied = envelope.getSeq();
            receivedReliable.add(envelope);
            if (envelope.hasCommand()) {
                start(envelope.getCommand());
            } else if (envelope.hasCancelJob()) {
                cancel(envelope.getCancelJob().getJobId());
            }
        }
        connection.send(Envelope.newBuilder().setAck(applied).setAckOnly(Ack.getDefaultInstance()).build());
    }

    private void start(CommandRequest request) {
        String job = request.getJobId();
        if (known.putIfAbsent(job, true) != null) {
            return;
        }
        receivedAt.put(job, System.nanoTime());
        if (request.getDeadlineMs() > 0 && request.getDeadlineMs() < System.currentTimeMillis()) {
            finish(job, Outcome.EXPIRED, 0, "deadline passed before the job reached the agent");
            return;
        }
        Script script = behaviour.apply(request);
        if (script == null) {
            return;
        }
        sendReliable(JobEvent.newBuilder().setJobId(job).setStarted(JobStarted.newBuilder().setPid(4242)).build());
        running.put(job, worker.schedule(() -> complete(job, script), script.runFor().toMillis(),
                TimeUnit.MILLISECONDS));
    }

    private void complete(String job, Script script) {
        if (running.remove(job) == null) {
            return;
        }
        if (!script.stdout().isEmpty()) {
            sendReliable(JobEvent.newBuilder().setJobId(job).setOutput(JobOutput.newBuilder()
                    .setStream(JobOutput.Stream.STDOUT)
                    .setData(ByteString.copyFrom(script.stdout(), StandardCharsets.UTF_8))).build());
        }
        finish(job, script.outcome(), script.exitCode(), script.error());
    }

    private void cancel(String job) {
        ScheduledFuture<?> run = running.remove(job);
        if (run != null) {
            run.cancel(false);
            finish(job, Outcome.CANCELLED, 143, "cancelled");
        } else if (known.putIfAbsent(job, true) == null) {
            finish(job, Outcome.CANCELLED, 0, "cancelled before it started");
        }
    }

    private void finish(String job, Outcome outcome, int exitCode, String error) {
        finishedAt.put(job, System.nanoTime());
        sendReliable(JobEvent.newBuilder().setJobId(job).setFinished(JobFinished.newBuilder()
                .setOutcome(outcome).setExitCode(exitCode).setError(error)).build());
    }

    private void sendReliable(JobEvent event) {
        connection.send(Envelope.newBuilder().setSeq(++lastSent).setAck(applied)
                .setTsMs(System.currentTimeMillis()).setJobEvent(event).build());
    }

    private <T> T call(java.util.concurrent.Callable<T> work) {
        try {
            return worker.submit(work).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        connection.close();
        worker.shutdownNow();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
