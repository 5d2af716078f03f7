package dev.tether.server.api;

import dev.tether.server.text.Utf8Text;
import dev.tether.server.dispatch.AfterCommit;
import dev.tether.server.dispatch.JobOutputStore.Chunk;
import dev.tether.server.dispatch.JobRecord;
import dev.tether.server.dispatch.JobState;
import dev.tether.server.dispatch.OutputFollow;
import dev.tether.server.dispatch.OutputFollow.Item;
import dev.tether.server.dispatch.OutputFollow.Pass;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams output and states to one follower as server-sent events until every
 * job is final, reading pass by pass from the database ({@link OutputFollow}):
 * when the dispatcher says the command changed, every {@link #POLL_PERIOD} in
 * case a change happened elsewhere, and while a pass found something.
 *
 * <p>One job: {@code output} {stream, data, offset} with {@code id:} the chunk's
 * index (resumable with Last-Event-ID), then {@code end} {state, exit_code,
 * error}. A command: {@code output} {job_id, agent_id, agent_name, stream, data}
 * and {@code state} {job_id, agent_id, agent_name, state, exit_code, error},
 * then {@code end} {counts}.
 *
 * <p>Bounds: one pass reads at most about {@link #BYTES_PER_PASS}, and the next
 * waits until the response drained, so a slow client holds at most one pass.
 * Not thread safe: runs on the request's event loop; {@link #nudge} may be
 * called from any thread.
 */
final class OutputFollower {

    static final long BYTES_PER_PASS = 256 * 1024;
    static final Duration POLL_PERIOD = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(OutputFollower.class);

    private final Context context;
    private final DbExecutor executor;
    private final OutputFollow follow;
    private final boolean singleJob;
    private final Map<String, Utf8Text> decoders = new HashMap<>();
    private final Map<String, JobRecord> lastSeen = new LinkedHashMap<>();
    private final AtomicBoolean nudged = new AtomicBoolean();
    private SseStream sse;
    private Runnable unwatch = () -> { };
    private long pollTimer = -1;
    private boolean reading;
    private boolean wanted = true;

    OutputFollower(Context context, DbExecutor executor, OutputFollow follow, boolean singleJob) {
        this.context = context;
        this.executor = executor;
        this.follow = follow;
        this.singleJob = singleJob;
    }

    /** Starts streaming on {@code sse}; {@code unwatch} stops the dispatcher's nudges when it ends. */
    void start(SseStream stream, Runnable stopWatching, Vertx vertx) {
        this.sse = stream;
        this.unwatch = stopWatching;
        pollTimer = vertx.setPeriodic(POLL_PERIOD.toMillis(), id -> {
            wanted = true;
            pump();
        });
        pump();
    }

    /** Something changed: read again soon. Any thread; never blocks. */
    void nudge() {
        if (nudged.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                nudged.set(false);
                wanted = true;
                pump();
            });
        }
    }

    /** The stream ended (either side). */
    void ended(Vertx vertx) {
        vertx.cancelTimer(pollTimer);
        unwatch.run();
    }

    void pump() {
        if (sse == null || sse.ended() || reading || !wanted || !sse.writable()) {
            return;
        }
        reading = true;
        wanted = false;
        executor.call(context, () -> follow.next(BYTES_PER_PASS))
                .onSuccess(this::write)
                .onFailure(failure -> {
                    LOG.warn("output stream failed", failure);
                    sse.end();
                });
    }

    private void write(Pass pass) {
        reading = false;
        for (Item item : pass.items()) {
            if (item.chunk() != null) {
                output(item.job(), item.chunk());
            } else {
                state(item.job());
            }
        }
        if (pass.done()) {
            end();
        } else {
            wanted |= !pass.items().isEmpty();
            pump();
        }
    }

    private void output(JobRecord job, Chunk chunk) {
        String text = decoders.computeIfAbsent(job.id() + "/" + chunk.stream(), key -> new Utf8Text())
                .decode(chunk.data());
        if (singleJob) {
            sse.event(chunk.idx(), "output", new JsonObject().put("stream", chunk.stream()).put("data", text)
                    .put("offset", chunk.offset()).encode());
        } else if (!text.isEmpty()) {
            sse.event(null, "output", jobOutput(job, chunk.stream(), text).encode());
        }
    }

    private void state(JobRecord job) {
        lastSeen.put(job.id(), job);
        if (job.state().isFinal()) {
            flushDecoders(job);
        }
        if (!singleJob) {
            sse.event(null, "state", DispatchJson.jobState(job).encode());
        }
    }

    /** A stream that ended inside a character: what is left, as replacement characters. */
    private void flushDecoders(JobRecord job) {
        for (String stream : new String[] {"stdout", "stderr"}) {
            Utf8Text decoder = decoders.remove(job.id() + "/" + stream);
            String rest = decoder == null ? "" : decoder.finish();
            if (!rest.isEmpty()) {
                sse.event(null, "output", singleJob ? new JsonObject().put("stream", stream).put("data", rest).encode()
                        : jobOutput(job, stream, rest).encode());
            }
        }
    }

    private void end() {
        JsonObject end;
        if (singleJob) {
            JobRecord job = lastSeen.values().iterator().next();
            end = new JsonObject().put("state", job.state().wire()).put("exit_code", job.exitCode())
                    .put("error", job.error());
        } else {
            Map<JobState, Long> counts = new EnumMap<>(JobState.class);
            lastSeen.values().forEach(job -> counts.merge(job.state(), 1L, Long::sum));
            end = new JsonObject().put("counts", AfterCommit.countsJson(counts));
        }
        sse.event(null, "end", end.encode());
        sse.end();
    }

    private static JsonObject jobOutput(JobRecord job, String stream, String text) {
        return new JsonObject().put("job_id", job.id()).put("agent_id", job.agentId())
                .put("agent_name", job.agentName()).put("stream", stream).put("data", text);
    }
}
