package dev.tether.cli.e2e;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.Backoff;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A real agent process built on the agent library, which publishes numbered
 * {@code test.n} events ({"n": i}) through the SDK and then keeps running.
 *
 * <p>Arguments: server URL, key file, state dir, first n, last n (inclusive),
 * batch size, pause between batches in ms, and optionally a stop file: when it
 * exists, publishing ends after the current batch. Prints "published N" after
 * each batch is durable and "publishing done N" at the end, N the last n.
 */
public final class PublishingAgentMain {

    public static void main(String[] args) throws Exception {
        AgentConfig config = AgentConfig.builder()
                .server(URI.create(args[0]))
                .key(Files.readString(Path.of(args[1])).strip())
                .stateDir(Path.of(args[2]))
                .insecure(true)
                // Quick retries: these tests judge delivery, not the production backoff curve.
                .backoff(new Backoff(Duration.ofMillis(100), 2.0, Duration.ofMillis(400)))
                .build();
        long first = Long.parseLong(args[3]);
        long last = Long.parseLong(args[4]);
        int batch = Integer.parseInt(args[5]);
        long pauseMs = Long.parseLong(args[6]);
        Path stopFile = args.length > 7 ? Path.of(args[7]) : null;

        Agent agent = Agent.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close));
        long n = first;
        for (; n <= last; n++) {
            agent.publishEvent("test.n", "{\"n\":" + n + "}");
            if ((n - first + 1) % batch == 0 || n == last) {
                System.out.println("published " + n);
                System.out.flush();
                if (stopFile != null && Files.exists(stopFile)) {
                    break;
                }
                if (pauseMs > 0) {
                    Thread.sleep(pauseMs);
                }
            }
        }
        System.out.println("publishing done " + Math.min(n, last));
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
