package dev.tether.agent.load;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * A fault-injection load tool for {@code tether bench chaos}: a real agent (its
 * SQLite outbox, its exec jobs) that publishes a numbered event stream
 * ({@value #EVENT_TYPE}, payload {@code {"n":N}}) until it is killed, and keeps a
 * ledger of what it published so a verifier can tell, after any number of
 * {@code kill -9}s, which events must have arrived exactly once.
 *
 * <h2>The ledger</h2>
 * One line per step, appended to {@code --ledger} and flushed to the kernel at
 * once (a {@code kill -9} of this process loses nothing written; a machine crash
 * is not what this tool simulates):
 * <pre>
 * intent N    written before publishing event N
 * ok N        written after the publish returned, so N is on disk in the outbox
 * </pre>
 * An {@code ok} event must reach the server exactly once; an event with only an
 * {@code intent} (the process died in between) at most once. A restarted process
 * continues after the highest {@code intent} in the ledger, so no number is
 * published twice by this tool itself.
 *
 * <pre>java -cp tether.jar dev.tether.agent.load.EventSource --server URL --key-file F
 *     --state-dir D --ledger FILE [--interval-ms MS]</pre>
 *
 * Publishing stops (the agent stays connected, so what is stored is still
 * sent) once a file {@code LEDGER.stop} exists. Exits 2 on bad arguments;
 * otherwise runs until killed.
 */
public final class EventSource {

    public static final String EVENT_TYPE = "chaos.tick";

    private EventSource() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options;
        try {
            options = PublishLoad.parse(args, List.of("server", "key-file", "state-dir", "ledger"));
        } catch (IllegalArgumentException e) {
            System.err.println("event-source: " + e.getMessage());
            System.exit(2);
            return;
        }
        long intervalMillis = Long.parseLong(options.getOrDefault("interval-ms", "50"));
        Path ledger = Path.of(options.get("ledger"));
        long next = lastIntent(ledger) + 1;
        AgentConfig config = AgentConfig.builder()
                .server(options.get("server"))
                .key(Files.readString(Path.of(options.get("key-file"))).trim())
                .stateDir(Path.of(options.get("state-dir")))
                .insecure(true)
                .build();
        try (Agent agent = Agent.start(config);
                BufferedWriter out = Files.newBufferedWriter(ledger, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            Runtime.getRuntime().addShutdownHook(new Thread(agent::close));
            Path stop = Path.of(ledger + ".stop");
            for (long n = next; ; ) {
                if (!Files.exists(stop)) {
                    line(out, "intent " + n);
                    agent.publishEvent(EVENT_TYPE, "{\"n\":" + n + "}");
                    line(out, "ok " + n);
                    n++;
                }
                Thread.sleep(intervalMillis);
            }
        }
    }

    private static void line(BufferedWriter out, String text) throws IOException {
        out.write(text);
        out.newLine();
        out.flush();
    }

    /** The highest number with an intent in the ledger, 0 when there is none. */
    static long lastIntent(Path ledger) throws IOException {
        if (!Files.exists(ledger)) {
            return 0;
        }
        long last = 0;
        for (String line : Files.readAllLines(ledger, StandardCharsets.UTF_8)) {
            if (line.startsWith("intent ")) {
                try {
                    last = Math.max(last, Long.parseLong(line.substring("intent ".length()).trim()));
                } catch (NumberFormatException torn) {
                    // A line cut by the kill: its number was never published.
                }
            }
        }
        return last;
    }
}
