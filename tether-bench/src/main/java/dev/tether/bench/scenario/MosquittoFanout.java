package dev.tether.bench.scenario;

import dev.tether.bench.peer.MosquittoBroker;
import dev.tether.bench.peer.MqttFanout;
import dev.tether.bench.probe.CpuWindow;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.FleetConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The peer side of the fan-out scenario: at each size, that many MQTT clients
 * subscribed at QoS 1 to one topic on Mosquitto, and one message published to
 * it at QoS 1 per round, timed from the publish to each delivery (and to the
 * broker's PUBACK). Mosquitto runs with persistence off, its default: a QoS 1
 * message lives in its memory only, where Tether has stored the command and
 * every job before the first one is sent.
 */
final class MosquittoFanout {

    private MosquittoFanout() {
    }

    /**
     * @param delivery publish to each delivery, microseconds, over the rounds
     * @param pubAckMicros publish to the broker's PUBACK, per round
     */
    record Step(int subscribers, Histogram delivery, List<Long> pubAckMicros, List<Double> roundSeconds,
            double brokerCpuPercent) {
    }

    static List<Step> measure(BenchRun run, FanoutScenario.Settings settings) throws IOException,
            InterruptedException, TimeoutException {
        int cap = run.preflight().maxAgentsPerGenerator();
        MosquittoBroker broker = run.own(MosquittoBroker.start(MosquittoBroker.binary(), ServerProcess.freePort(),
                run.results().json().getParent().resolve("mosquitto")));
        run.out().printf("peer: mosquitto pid %d%n", broker.pid());
        List<Step> steps = new ArrayList<>();
        int messageId = 1;
        for (int size : settings.steps()) {
            if (size > cap) {
                run.out().printf("peer: MQTT clients run in this process; %,d subscribers is over its limit, "
                        + "skipped%n", size);
                continue;
            }
            MqttFanout clients = run.own(MqttFanout.create(broker.port(),
                    FleetConfig.loopbackRange(2, run.preflight().sourceAddressesFor(size)), run.options().loops,
                    size, settings.maxInFlight()));
            clients.connect();
            run.await(size + " MQTT subscribers", TetherConnections.connectTimeout(size),
                    () -> clients.subscribed() >= size && clients.publisherReady());
            if (steps.isEmpty()) {
                for (int i = 0; i < settings.warmUp(); i++) {
                    round(run, clients, messageId++, size, settings.roundTimeout());
                }
            }
            Histogram before = clients.deliveries();
            CpuWindow cpu = CpuWindow.open(broker.probe());
            List<Long> pubAcks = new ArrayList<>();
            List<Double> seconds = new ArrayList<>();
            for (int i = 0; i < settings.rounds(); i++) {
                seconds.add(round(run, clients, messageId++, size, settings.roundTimeout()));
                pubAcks.add(clients.pubAckMicros());
            }
            Step step = new Step(size, clients.deliveries().since(before), pubAcks, seconds, cpu.percent());
            run.release(clients);
            steps.add(step);
            run.out().printf("peer: publish to %,d subscribers: last delivery after %.3f s (best round)%n", size,
                    seconds.stream().mapToDouble(Double::doubleValue).min().orElse(0));
        }
        run.release(broker);
        return steps;
    }

    /** One publish; returns the seconds until every subscriber had it. */
    private static double round(BenchRun run, MqttFanout clients, int messageId, int size, Duration timeout)
            throws InterruptedException, TimeoutException {
        long expected = clients.delivered() + size;
        long start = System.nanoTime();
        clients.publish(messageId);
        run.await("QoS 1 publish delivered to " + size + " subscribers", timeout,
                () -> clients.delivered() >= expected);
        double seconds = (System.nanoTime() - start) / 1e9;
        run.await("PUBACK", timeout, () -> clients.pubAckMicros() >= 0);
        return seconds;
    }
}
