package dev.tether.server.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.StatusReport;
import org.junit.jupiter.api.Test;

class AgentTextTest {

    @Test
    void nulAndUnpairedSurrogatesBecomeReplacementCharactersAndPairsStay() {
        assertThat(AgentText.sanitise("a\u0000b")).isEqualTo("a\uFFFDb");
        assertThat(AgentText.sanitise("x\uD800")).isEqualTo("x\uFFFD");
        assertThat(AgentText.sanitise("\uDC00y")).isEqualTo("\uFFFDy");
        assertThat(AgentText.sanitise("\uDC00\uD800")).isEqualTo("\uFFFD\uFFFD");
        assertThat(AgentText.sanitise("ok \uD83D\uDE00")).isEqualTo("ok \uD83D\uDE00");
    }

    @Test
    void textWithNothingToReplaceIsReturnedAsItIs() {
        String text = "plain";
        Envelope envelope = Envelope.newBuilder().setSeq(1).setJobEvent(JobEvent.newBuilder().setJobId("j")).build();
        assertThat(AgentText.sanitise(text)).isSameAs(text);
        assertThat(AgentText.sanitise(envelope)).isSameAs(envelope);
    }

    @Test
    void nestedStringsMapEntriesAndJsonBytesAreSanitisedButOtherBytesAreNot() {
        Envelope envelope = Envelope.newBuilder()
                .setHello(Hello.newBuilder().setHostname("h\u0000").putLabels("k\u0000", "v\u0000")
                        .addShellSessions(ByteString.copyFrom(new byte[] {0, 1})))
                .build();
        Hello hello = AgentText.sanitise(envelope).getHello();
        assertThat(hello.getHostname()).isEqualTo("h\uFFFD");
        assertThat(hello.getLabelsMap()).containsEntry("k\uFFFD", "v\uFFFD").hasSize(1);
        assertThat(hello.getShellSessions(0).toByteArray()).containsExactly(0, 1);

        JobFinished finished = AgentText.sanitise(JobFinished.newBuilder().setError("e\u0000")
                .setResultJson(ByteString.copyFrom(new byte[] {'"', 0, (byte) 0xff, '"'})).build());
        assertThat(finished.getError()).isEqualTo("e\uFFFD");
        assertThat(finished.getResultJson().toStringUtf8()).isEqualTo("\"\uFFFD\uFFFD\"");
    }

    @Test
    void everyPayloadThatCarriesTextIsSanitisedOnArrivalAndHeartbeatsAreNotWalked() {
        Envelope event = Envelope.newBuilder().setSeq(1).setAgentEvent(AgentEvent.newBuilder().setType("t\u0000")
                .setPayloadJson(ByteString.copyFromUtf8("\"\u0000\""))).build();
        Envelope status = Envelope.newBuilder().setSeq(2).setStatus(StatusReport.newBuilder().setMessage("m\u0000"))
                .build();
        Envelope shellError = Envelope.newBuilder().setShellError(ShellError.newBuilder().setMessage("s\u0000"))
                .build();
        Envelope heartbeat = Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setCpuPercent(1))
                .setCorrelationId("c\u0000").build();

        assertThat(AgentText.sanitiseFromAgent(event).getAgentEvent().getType()).isEqualTo("t\uFFFD");
        assertThat(AgentText.sanitiseFromAgent(event).getAgentEvent().getPayloadJson().toStringUtf8())
                .isEqualTo("\"\uFFFD\"");
        assertThat(AgentText.sanitiseFromAgent(status).getStatus().getMessage()).isEqualTo("m\uFFFD");
        assertThat(AgentText.sanitiseFromAgent(shellError).getShellError().getMessage()).isEqualTo("s\uFFFD");
        assertThat(AgentText.sanitiseFromAgent(heartbeat)).as("nothing of a heartbeat is kept as text")
                .isSameAs(heartbeat);
    }

    @Test
    void anEventIsCheckedFieldByFieldAndEachOfItsTextFieldsIsStillSanitised() {
        Envelope clean = Envelope.newBuilder().setSeq(1).setCorrelationId("c").setAgentEvent(AgentEvent.newBuilder()
                .setType("t").setPayloadJson(ByteString.copyFromUtf8("{\"a\":1}"))).build();
        assertThat(AgentText.sanitiseFromAgent(clean)).isSameAs(clean);

        Envelope correlation = clean.toBuilder().setCorrelationId("c\u0000").build();
        assertThat(AgentText.sanitiseFromAgent(correlation).getCorrelationId()).isEqualTo("c\uFFFD");
        Envelope type = clean.toBuilder().setAgentEvent(clean.getAgentEvent().toBuilder().setType("t\uD800")).build();
        assertThat(AgentText.sanitiseFromAgent(type).getAgentEvent().getType()).isEqualTo("t\uFFFD");
        Envelope payload = clean.toBuilder().setAgentEvent(clean.getAgentEvent().toBuilder()
                .setPayloadJson(ByteString.copyFrom(new byte[] {'"', (byte) 0xff, '"'}))).build();
        assertThat(AgentText.sanitiseFromAgent(payload).getAgentEvent().getPayloadJson().toStringUtf8())
                .isEqualTo("\"\uFFFD\"");
    }

    /** The field-by-field check of events must know every text field they can carry; a new one fails here. */
    @Test
    void theTextFieldsOfAnEventAreTheOnesTheFastCheckKnows() {
        java.util.Set<String> text = new java.util.HashSet<>();
        for (var field : Envelope.getDescriptor().getFields()) {
            if (field.getRealContainingOneof() == null) {
                assertThat(field.getJavaType()).as(field.getFullName())
                        .isNotEqualTo(com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE);
                addIfText(field, text);
            }
        }
        for (var field : AgentEvent.getDescriptor().getFields()) {
            assertThat(field.getJavaType()).as(field.getFullName())
                    .isNotEqualTo(com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE);
            addIfText(field, text);
        }
        assertThat(text).isEqualTo(AgentText.TEXT_OF_EVENTS);
    }

    private static void addIfText(com.google.protobuf.Descriptors.FieldDescriptor field, java.util.Set<String> text) {
        var type = field.getJavaType();
        if (type == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.STRING
                || (type == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.BYTE_STRING
                && field.getName().endsWith("_json"))) {
            text.add(field.getFullName());
        }
    }
}
