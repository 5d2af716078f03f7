package dev.tether.server.dispatch;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.CancelJob;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ExecSpec;
import dev.tether.server.dispatch.JobTransitions.Ending;
import dev.tether.server.store.ConfigStore;
import dev.tether.server.store.Dialect;
import dev.tether.server.store.OutboxAppender;
import dev.tether.server.store.ServerOutbox;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends jobs: appends each job's reliable {@link CommandRequest} to its agent's
 * outbox in the caller's transaction and records the seq on the job, so the
 * request is delivered live or replayed on reconnect. A held-back job whose
 * deadline passed expires instead of being sent.
 *
 * <p>A {@code config} job stores the new configuration on the agent row as its
 * next version in the same transaction and sends {@code {"version": V,
 * "config": ...}} as the request's params.
 *
 * <p>Agents' rows are locked (their seq counters) in agent id order, so two
 * transactions sending to the same agents cannot deadlock. Stateless.
 */
final class Release {

    static final String DEADLINE_PASSED = "not started before its deadline";

    private Release() {
    }

    /** @return how many of the jobs were sent (the others expired) */
    static int sendIn(Connection connection, Dialect dialect, CommandRecord command, List<JobRecord> jobs,
            long nowMillis, AfterCommit after) throws SQLException {
        List<JobRecord> inLockOrder = inLockOrder(jobs);
        List<JobRecord> sending = new ArrayList<>(jobs.size());
        for (JobRecord job : inLockOrder) {
            if (job.deadlineAt() != null && job.deadlineAt() <= nowMillis) {
                JobTransitions.finishIn(connection, job,
                        Ending.byServer(JobState.EXPIRED, DEADLINE_PASSED, false), nowMillis, after);
            } else {
                sending.add(job);
            }
        }
        Map<String, Long> seqs = appendIn(connection, dialect, command, sending, nowMillis, after);
        JobTransitions.sentIn(connection, sending.stream().map(JobRecord::id).toList(),
                sending.stream().map(job -> seqs.get(job.id())).toList());
        return sending.size();
    }

    /**
     * Sends jobs not stored yet, whose deadline (if any) is still ahead: their requests are appended and the
     * caller inserts the jobs with the seqs returned, one statement less per job than storing them held back
     * and then marking them sent.
     *
     * @return each job's request seq, by job id
     */
    static Map<String, Long> sendNewIn(Connection connection, Dialect dialect, CommandRecord command,
            List<JobRecord> jobs, long nowMillis, AfterCommit after) throws SQLException {
        for (JobRecord job : jobs) {
            if (job.deadlineAt() != null && job.deadlineAt() <= nowMillis) {
                throw new IllegalArgumentException("job " + job.id() + " is new but its deadline passed");
            }
        }
        return appendIn(connection, dialect, command, inLockOrder(jobs), nowMillis, after);
    }

    private static List<JobRecord> inLockOrder(List<JobRecord> jobs) {
        return jobs.stream().sorted(Comparator.comparing(JobRecord::agentId).thenComparing(JobRecord::position))
                .toList();
    }

    /** Appends each job's request (the jobs in agent id order) and wakes its agent; @return seqs by job id */
    private static Map<String, Long> appendIn(Connection connection, Dialect dialect, CommandRecord command,
            List<JobRecord> jobs, long nowMillis, AfterCommit after) throws SQLException {
        CommandRequest template = template(command);
        List<OutboxAppender.Addressed> requests = new ArrayList<>(jobs.size());
        for (JobRecord job : jobs) {
            CommandRequest request = request(connection, command, template, job, nowMillis);
            requests.add(new OutboxAppender.Addressed(job.agentId(),
                    Envelope.newBuilder().setCommand(request).setCorrelationId(job.id()).build()));
        }
        List<Envelope> stored;
        try (OutboxAppender outbox = new OutboxAppender(connection, dialect, after.outboxAppends())) {
            stored = outbox.appendAll(requests, nowMillis);
        }
        Map<String, Long> seqs = new HashMap<>(jobs.size() * 2);
        for (int i = 0; i < jobs.size(); i++) {
            seqs.put(jobs.get(i).id(), stored.get(i).getSeq());
            after.wake(jobs.get(i).agentId());
        }
        return seqs;
    }

    /** Appends a CancelJob for the job to its agent's outbox. */
    static void sendCancelIn(Connection connection, JobRecord job, long nowMillis, AfterCommit after)
            throws SQLException {
        append(connection, job, cancel(job), nowMillis, after);
        after.wake(job.agentId());
    }

    static Envelope.Builder cancel(JobRecord job) {
        return Envelope.newBuilder().setCorrelationId(job.id())
                .setCancelJob(CancelJob.newBuilder().setJobId(job.id()));
    }

    private static long append(Connection connection, JobRecord job, Envelope.Builder envelope, long nowMillis,
            AfterCommit after) throws SQLException {
        Envelope payload = envelope.setCorrelationId(job.id()).build();
        return ServerOutbox.appendIn(connection, after.outboxAppends(), job.agentId(), List.of(payload), nowMillis)
                .get(0).getSeq();
    }

    /** What every job of the command is sent, but the job's own fields. */
    private static CommandRequest template(CommandRecord command) {
        CommandRequest.Builder request = CommandRequest.newBuilder()
                .setCommandId(command.id())
                .setType(command.type())
                .setTimeoutS((int) command.timeoutSeconds());
        if (command.exec()) {
            ExecSpec.Builder exec = ExecSpec.newBuilder().addAllArgv(command.argv()).putAllEnv(command.env());
            if (command.cwd() != null) {
                exec.setCwd(command.cwd());
            }
            request.setExec(exec);
        } else if (command.params() != null && !NewCommand.CONFIG.equals(command.type())) {
            request.setParamsJson(utf8(Json.encode(command.params())));
        }
        return request.build();
    }

    private static CommandRequest request(Connection connection, CommandRecord command, CommandRequest template,
            JobRecord job, long nowMillis) throws SQLException {
        CommandRequest.Builder request = template.toBuilder()
                .setJobId(job.id())
                .setDeadlineMs(job.deadlineAt() == null ? 0 : job.deadlineAt());
        if (NewCommand.CONFIG.equals(command.type())) {
            Object config = ((JsonObject) command.params()).getValue("config");
            String json = Json.encode(config);
            long version = ConfigStore.storeNextVersionIn(connection, job.agentId(), json, nowMillis);
            request.setParamsJson(utf8(new JsonObject().put("version", version).put("config", config).encode()));
        }
        return request.build();
    }

    private static ByteString utf8(String text) {
        return ByteString.copyFrom(text, StandardCharsets.UTF_8);
    }
}
