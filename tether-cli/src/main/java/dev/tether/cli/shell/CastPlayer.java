package dev.tether.cli.shell;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * Plays an asciicast v2 recording to a terminal at its recorded pace: output
 * events are printed when their time comes, divided by the speed, with pauses
 * longer than the idle limit cut short. Other events (resizes, input) are skipped.
 * Not thread safe.
 */
public final class CastPlayer {

    private final double speed;
    private final Duration idleLimit;

    /**
     * @param speed how much faster than recorded (2 = twice as fast); more than 0
     * @param idleLimit longest pause between two events, whatever was recorded
     */
    public CastPlayer(double speed, Duration idleLimit) {
        if (!(speed > 0) || speed > 1000) {
            throw new IllegalArgumentException("--speed must be more than 0 and at most 1000, was " + speed);
        }
        this.speed = speed;
        this.idleLimit = idleLimit;
    }

    /** @throws IllegalArgumentException when the text is not an asciicast v2 recording */
    public void play(String cast, PrintStream out) throws InterruptedException {
        List<String> lines = cast.lines().filter(line -> !line.isBlank()).toList();
        if (lines.isEmpty() || header(lines.get(0)).getInteger("version", 0) != 2) {
            throw new IllegalArgumentException("not an asciicast v2 recording");
        }
        double previous = 0;
        for (String line : lines.subList(1, lines.size())) {
            JsonArray event = event(line);
            double at = event.getDouble(0);
            sleep(Math.max(0, at - previous));
            previous = at;
            if ("o".equals(event.getString(1))) {
                out.print(event.getString(2));
                out.flush();
            }
        }
    }

    private void sleep(double recordedSeconds) throws InterruptedException {
        long millis = (long) (Math.min(recordedSeconds, idleLimit.toMillis() / 1000.0) * 1000 / speed);
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    private static JsonObject header(String line) {
        try {
            return new JsonObject(line);
        } catch (DecodeException e) {
            throw new IllegalArgumentException("not an asciicast v2 recording (the header is not JSON)");
        }
    }

    private static JsonArray event(String line) {
        try {
            JsonArray event = new JsonArray(line);
            if (event.size() < 3) {
                throw new IllegalArgumentException("malformed asciicast event: " + line);
            }
            return event;
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("malformed asciicast event: " + line);
        }
    }
}
