package dev.tether.agent.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentEventsTest {

    @ParameterizedTest
    @ValueSource(strings = {"backup.completed", "a", "A-Z_0.9", "agent.started"})
    void wellFormedTypesAreAccepted(String type) {
        assertThatCode(() -> AgentEvents.checkType(type)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"backup completed", "backup/completed", "héllo", "a\nb", "a:b"})
    void typesWithOtherCharactersAreRefusedNamingTheCharacter(String type) {
        assertThatThrownBy(() -> AgentEvents.checkType(type))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use only letters, digits, '.', '_' and '-'");
    }

    @Test
    void theTypeLengthLimitIsInclusive() {
        assertThatCode(() -> AgentEvents.checkType("x".repeat(Limits.MAX_EVENT_TYPE_LENGTH)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> AgentEvents.checkType("x".repeat(Limits.MAX_EVENT_TYPE_LENGTH + 1)))
                .hasMessageContaining("the limit is " + Limits.MAX_EVENT_TYPE_LENGTH);
        assertThatThrownBy(() -> AgentEvents.checkType("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> AgentEvents.checkType(null)).hasMessageContaining("empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", "1", "\"text\"", "null", " {\"a\": [1, 2.5e3, true, null]} \n"})
    void wellFormedJsonIsAccepted(String json) {
        Envelope envelope = AgentEvents.envelope("x", json, 42);
        AgentEvent event = envelope.getAgentEvent();
        assertThat(event.getPayloadJson().toStringUtf8()).isEqualTo(json);
        assertThat(event.getOccurredMs()).isEqualTo(42);
        assertThat(envelope.getSeq()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "{", "{\"a\":}", "{} {}", "{}x", "{'a': 1}", "[1,]", "NaN",
            "{\"a\": 1, \"a\": 2}", "\"\\q\""})
    void malformedJsonIsRefused(String json) {
        assertThatThrownBy(() -> AgentEvents.envelope("x", json, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("event x payload is not well-formed JSON");
    }

    @Test
    void aPayloadThatCannotFitOneFrameIsRefused() {
        String big = "\"" + "a".repeat(AgentEvents.MAX_PAYLOAD_BYTES - 2) + "\"";
        Envelope largest = AgentEvents.envelope("t".repeat(Limits.MAX_EVENT_TYPE_LENGTH), big, Long.MAX_VALUE);
        assertThat(largest.toBuilder().setSeq(Long.MAX_VALUE).setAck(Long.MAX_VALUE).setTsMs(Long.MAX_VALUE)
                .build().getSerializedSize()).isLessThanOrEqualTo(Limits.MAX_FRAME_BYTES);
        String tooBig = "\"" + "a".repeat(AgentEvents.MAX_PAYLOAD_BYTES - 1) + "\"";
        assertThatThrownBy(() -> AgentEvents.envelope("x", tooBig, 0)).hasMessageContaining("the limit is");
    }

    @Test
    void lifecycleEventsCarryTheirDocumentedPayloads() {
        assertThat(AgentEvents.started("1.2.3", "boot-1", 0).getAgentEvent().getPayloadJson().toStringUtf8())
                .isEqualTo("{\"version\":\"1.2.3\",\"boot_id\":\"boot-1\"}");
        assertThat(AgentEvents.stopping(0).getAgentEvent().getType()).isEqualTo("agent.stopping");
        assertThat(AgentEvents.configApplied(7, 0).getAgentEvent().getPayloadJson().toStringUtf8())
                .isEqualTo("{\"version\":7}");
    }
}
