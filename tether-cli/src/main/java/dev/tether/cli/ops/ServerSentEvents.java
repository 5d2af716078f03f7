package dev.tether.cli.ops;

import java.util.function.Consumer;

/**
 * Parses a {@code text/event-stream} line by line (the WHATWG rules the CLI
 * needs: {@code id}, {@code event}, multi-line {@code data}, comments) and
 * hands each complete event to a consumer. Not thread safe: fed by one reader.
 */
final class ServerSentEvents {

    /** One dispatched event; {@code id} is null when the server sent none. */
    record Event(String id, String type, String data) {
    }

    private final Consumer<Event> sink;
    private final StringBuilder data = new StringBuilder();
    private String type = "message";
    private String id;

    ServerSentEvents(Consumer<Event> sink) {
        this.sink = sink;
    }

    void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.startsWith(":")) {
            return; // keep-alive comment
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> type = value;
            case "data" -> data.append(data.isEmpty() ? "" : "\n").append(value);
            case "id" -> id = value;
            default -> {
                // retry and unknown fields are ignored
            }
        }
    }

    private void dispatch() {
        if (!data.isEmpty()) {
            sink.accept(new Event(id, type, data.toString()));
        }
        data.setLength(0);
        type = "message";
    }
}
