package dev.tether.agent.jobs;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobFinished.Outcome;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.protocol.v1.JobStarted;

/**
 * The reliable {@link JobEvent}s a job reports, each in its own envelope. The
 * envelope's correlation id is the job id, so a log of frames reads per job.
 */
final class JobEvents {

    private JobEvents() {
    }

    /** The job started; {@code pid} is its process (and process group), 0 when it runs inside the agent. */
    static Envelope started(String jobId, long pid) {
        return envelope(JobEvent.newBuilder().setJobId(jobId).setStarted(JobStarted.newBuilder().setPid(pid)));
    }

    static Envelope output(String jobId, JobOutput.Stream stream, ByteString data) {
        return envelope(JobEvent.newBuilder().setJobId(jobId)
                .setOutput(JobOutput.newBuilder().setStream(stream).setData(data)));
    }

    static Envelope finished(String jobId, Outcome outcome, int exitCode, String error, String resultJson) {
        return envelope(JobEvent.newBuilder().setJobId(jobId).setFinished(JobFinished.newBuilder()
                .setOutcome(outcome)
                .setExitCode(exitCode)
                .setError(error)
                .setResultJson(ByteString.copyFromUtf8(resultJson))));
    }

    /** A job that ended without running: no exit code, no result. */
    static Envelope finished(String jobId, Outcome outcome, String error) {
        return finished(jobId, outcome, 0, error, "");
    }

    private static Envelope envelope(JobEvent.Builder event) {
        return Envelope.newBuilder().setCorrelationId(event.getJobId()).setJobEvent(event).build();
    }
}
