package dev.tether.agent.testing;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.CancelJob;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ExecSpec;
import java.util.List;

/** Server-to-agent command payloads, as a server builds them. */
public final class Commands {

    private Commands() {
    }

    /** An exec job of command {@code cmd-<jobId>}. */
    public static CommandRequest.Builder exec(String jobId, String... argv) {
        return CommandRequest.newBuilder().setJobId(jobId).setCommandId("cmd-" + jobId).setType("exec")
                .setExec(ExecSpec.newBuilder().addAllArgv(List.of(argv)));
    }

    /** A {@code sh -c script} exec job. */
    public static CommandRequest.Builder shell(String jobId, String script) {
        return exec(jobId, "sh", "-c", script);
    }

    public static CommandRequest.Builder typed(String jobId, String type, String paramsJson) {
        return CommandRequest.newBuilder().setJobId(jobId).setCommandId("cmd-" + jobId).setType(type)
                .setParamsJson(ByteString.copyFromUtf8(paramsJson));
    }

    public static Envelope envelope(CommandRequest.Builder request) {
        return Envelope.newBuilder().setCommand(request).build();
    }

    public static Envelope cancel(String jobId) {
        return Envelope.newBuilder().setCancelJob(CancelJob.newBuilder().setJobId(jobId)).build();
    }
}
