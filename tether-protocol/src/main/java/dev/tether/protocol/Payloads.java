package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import java.util.EnumSet;
import java.util.Set;

/** Which payloads are reliable (numbered, stored, acknowledged) and which are live. */
public final class Payloads {

    private static final Set<PayloadCase> RELIABLE = EnumSet.of(
            PayloadCase.STATUS,
            PayloadCase.CONFIG_APPLIED,
            PayloadCase.AGENT_EVENT,
            PayloadCase.JOB_EVENT,
            PayloadCase.CONFIG_UPDATE,
            PayloadCase.COMMAND,
            PayloadCase.CANCEL_JOB);

    private Payloads() {
    }

    public static boolean isReliable(PayloadCase payload) {
        return RELIABLE.contains(payload);
    }

    public static boolean isReliable(Envelope envelope) {
        return isReliable(envelope.getPayloadCase());
    }
}
