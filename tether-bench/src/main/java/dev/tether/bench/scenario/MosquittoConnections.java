package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.peer.MosquittoBroker;
import dev.tether.bench.peer.MqttFleet;
import dev.tether.bench.peer.MqttSnapshot;
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
 * The peer side of the connections scenario: the same steps with MQTT
 * clients held by Mosquitto, pinging at the same interval (keep-alive rounded
 * up to whole seconds), then the same intake phase. Mosquitto's memory per
 * client is its RSS growth over the idle broker divided by the clients.
 * The MQTT clients run in this process, so their count is capped by its
 * open-files limit.
 */
final class MosquittoConnections {

    private MosquittoConnections() {
    }

    record Step(int clients, double connectSeconds, long rssBytes, double brokerCpuPercent) {
    }

    record Intake(int clients, Duration interval, double pingsPerSecond, double brokerCpuPercent, Histogram rtt,
            Histogram connect) {
    }

    record Result(long baselineRssBytes, List<Step> steps, Intake intake, Histogram connect, Histogram rtt) {
    }

    static Result measure(BenchRun run, TetherConnections.Settings settings) throws IOException, InterruptedException,
            TimeoutException {
        int cap = run.preflight().maxAgentsPerGenerator();
        List<Integer> steps = settings.steps().stream().filter(s -> s <= cap).toList();
        int size = Math.min(settings.agents(), cap);
        if (size < settings.agents()) {
            run.out().printf("peer: MQTT clients run in this process; sizes above %,d clients are skipped%n", cap);
        }
        int sources = run.preflight().sourceAddressesFor(size);
        MosquittoBroker broker = run.own(MosquittoBroker.start(MosquittoBroker.binary(), ServerProcess.freePort(),
                run.results().json().getParent().resolve("mosquitto")));
        long baseline = broker.probe().rssBytes();
        run.out().printf("peer: mosquitto pid %d, idle RSS %.1f MiB%n", broker.pid(), TetherConnections.mib(baseline));
        List<Step> measured = new ArrayList<>();
        Histogram connect = new Histogram();
        Histogram rtt = new Histogram();
        if (!steps.isEmpty()) {
            MqttSnapshot held = memorySteps(run, broker, steps, sources, settings, measured);
            connect = held.connect();
            rtt = held.rtt();
        }
        Intake intake = settings.intakeInterval().isZero() ? null : intake(run, broker, size, sources, settings);
        run.release(broker);
        return new Result(baseline, measured, intake, steps.isEmpty() && intake != null ? intake.connect() : connect,
                rtt);
    }

    private static MqttSnapshot memorySteps(BenchRun run, MosquittoBroker broker, List<Integer> steps, int sources,
            TetherConnections.Settings settings, List<Step> measured) throws InterruptedException, TimeoutException {
        MqttFleet clients = run.own(MqttFleet.create(broker.port(), FleetConfig.loopbackRange(2, sources),
                run.options().loops, steps.getLast(), settings.interval(), settings.rampPerSecond(),
                settings.maxInFlight()));
        for (int size : steps) {
            long start = System.nanoTime();
            clients.connect(size);
            run.await(size + " MQTT clients online", TetherConnections.connectTimeout(size),
                    () -> clients.snapshot().online() >= size);
            double seconds = (System.nanoTime() - start) / 1e9;
            CpuWindow cpu = CpuWindow.open(broker.probe());
            run.hold(settings.hold());
            Step step = new Step(size, seconds, broker.probe().rssBytes(), cpu.percent());
            measured.add(step);
            run.out().printf("peer: %,7d clients: RSS %.1f MiB, broker CPU %.1f %%%n", size,
                    TetherConnections.mib(step.rssBytes()), step.brokerCpuPercent());
        }
        MqttSnapshot held = clients.snapshot();
        run.release(clients);
        return held;
    }

    private static Intake intake(BenchRun run, MosquittoBroker broker, int size, int sources,
            TetherConnections.Settings settings) throws InterruptedException, TimeoutException {
        MqttFleet clients = run.own(MqttFleet.create(broker.port(), FleetConfig.loopbackRange(2, sources),
                run.options().loops, size, settings.intakeInterval(), settings.rampPerSecond(),
                settings.maxInFlight()));
        clients.connect(size);
        run.await(size + " MQTT clients online", TetherConnections.connectTimeout(size),
                () -> clients.snapshot().online() >= size);
        run.hold(TetherConnections.warmUp(settings.intakeInterval()));
        long firstAt = System.nanoTime();
        MqttSnapshot first = clients.snapshot();
        firstAt = (firstAt + System.nanoTime()) / 2;
        CpuWindow cpu = CpuWindow.open(List.of(broker.probe()));
        run.hold(settings.intakeHold());
        double brokerCpu = cpu.percent();
        long lastAt = System.nanoTime();
        MqttSnapshot last = clients.snapshot();
        lastAt = (lastAt + System.nanoTime()) / 2;
        long elapsed = lastAt - firstAt;
        run.release(clients);
        Intake intake = new Intake(size, settings.intakeInterval(), (last.pongs() - first.pongs()) * 1e9 / elapsed,
                brokerCpu, last.rtt().since(first.rtt()), last.connect());
        run.out().printf("peer intake: %,d clients every %s: %,.0f pings/s, broker CPU %.1f %%%n", size,
                DurationConverter.format(settings.intakeInterval()), intake.pingsPerSecond(), brokerCpu);
        return intake;
    }
}
