package dev.tether.agent.control;

import dev.tether.agent.events.AgentEvents;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The control socket's protocol, one request per connection. The client sends a header, one line of JSON
 * ({@code {"op":"status"}}, or {@code {"op":"emit","type":"job.started","length":N}} followed by exactly N
 * bytes of the event's JSON), and the agent answers with one line of JSON: {@code {"ok":true,...}} or
 * {@code {"ok":false,"error":"..."}}. A header longer than {@value #MAX_HEADER_BYTES} bytes, a body over
 * {@link AgentEvents#MAX_PAYLOAD_BYTES}, or a request not complete within {@link #REQUEST_TIMEOUT} is refused.
 */
final class ControlProtocol {

    static final String SOCKET_FILE = "agent.sock";
    static final int MAX_HEADER_BYTES = 4096;
    static final int MAX_BODY_BYTES = AgentEvents.MAX_PAYLOAD_BYTES;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    static final String STATUS = "status";
    static final String EMIT = "emit";

    private ControlProtocol() {
    }

    static byte[] line(String json) {
        return (json + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
