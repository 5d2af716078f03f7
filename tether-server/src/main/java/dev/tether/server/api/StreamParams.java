package dev.tether.server.api;

import io.vertx.ext.web.RoutingContext;

/** Query parameters and headers of the streaming endpoints, validated. Stateless. */
final class StreamParams {

    private StreamParams() {
    }

    /** {@code ?follow=true|false}; {@code absent} when not given. */
    static boolean follow(RoutingContext ctx, boolean absent) {
        String text = ctx.queryParams().get("follow");
        if (text == null) {
            return absent;
        }
        return switch (text) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.badRequest("invalid_follow", "follow must be true or false, got '"
                    + shorten(text) + "'");
        };
    }

    /** The {@code Last-Event-ID} header, else {@code ?last_event_id=}, else {@code absent}. */
    static long lastEventId(RoutingContext ctx, long absent) {
        String text = ctx.request().getHeader("Last-Event-ID");
        if (text == null || text.isBlank()) {
            return nonNegative(ctx, "last_event_id", absent);
        }
        return parse("Last-Event-ID", text.strip());
    }

    static long nonNegative(RoutingContext ctx, String name, long absent) {
        String text = ctx.queryParams().get(name);
        return text == null ? absent : parse(name, text);
    }

    private static long parse(String name, String text) {
        try {
            long value = Long.parseLong(text);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw ApiException.badRequest("invalid_" + name.toLowerCase().replace('-', '_'), name
                + " must be a non-negative integer, got '" + shorten(text) + "'");
    }

    private static String shorten(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
