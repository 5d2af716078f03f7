package dev.tether.cli.ui;

import io.vertx.core.json.JsonArray;

/** Reads an asciicast v2 recording the way a player times it. Stateless. */
final class Recording {

    private Recording() {
    }

    /**
     * When, in the player's timeline, output containing {@code text} was printed: event times with every
     * pause longer than {@code idleLimitSeconds} cut to it, as the player's idleTimeLimit does.
     */
    static double outputTime(String cast, String text, double idleLimitSeconds) {
        String[] lines = cast.split("\n");
        double previous = 0;
        double played = 0;
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            JsonArray event = new JsonArray(lines[i]);
            double time = event.getDouble(0);
            played += Math.min(time - previous, idleLimitSeconds);
            previous = time;
            if ("o".equals(event.getString(1)) && event.getString(2).contains(text)) {
                return played;
            }
        }
        throw new AssertionError("the recording has no output containing '" + text + "':\n" + cast);
    }
}
