package dev.tether.bench.peer;

import dev.tether.bench.report.Histogram;
import dev.tether.bench.sim.HeartbeatWheel;
import dev.tether.bench.sim.Ramp;
import dev.tether.bench.sim.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * N MQTT clients held open against a broker with the same heartbeat cadence
 * as the simulated agents: the peer side of the connection benchmarks. Same
 * structure as the agents' fleet (a few event loops, one heartbeat wheel per
 * loop, a bounded ramp, loopback source addresses). Clients that drop are not
 * reconnected; they are counted. Thread safe.
 */
public final class MqttFleet implements AutoCloseable {

    private final EventLoopGroup group;
    private final List<LoopShare> loops = new ArrayList<>();
    private final List<MqttClientSim> clients = new ArrayList<>();
    private final Ramp ramp;

    private MqttFleet(int port, List<InetAddress> sources, int eventLoops, int count, Duration pingInterval,
            int rampPerSecond, int maxInFlight) {
        this.group = Transport.loops(eventLoops, "mqtt-clients");
        Bootstrap bootstrap = Transport.client();
        Iterator<EventExecutor> executors = group.iterator();
        while (executors.hasNext()) {
            loops.add(new LoopShare((EventLoop) executors.next(), pingInterval));
        }
        int keepAlive = (int) Math.max(1, (pingInterval.toMillis() + 999) / 1000);
        for (int i = 0; i < count; i++) {
            clients.add(new MqttClientSim(i, loops.get(i % loops.size()), keepAlive));
        }
        InetSocketAddress broker = new InetSocketAddress("127.0.0.1", port);
        this.ramp = new Ramp(loops.get(0).loop, rampPerSecond, maxInFlight, count, i -> {
            MqttClientSim client = clients.get(i);
            LoopShare home = loops.get(i % loops.size());
            home.loop.execute(() -> dial(bootstrap, home, client, broker,
                    sources.get(i % sources.size())));
        });
    }

    /**
     * @param pingInterval one PINGREQ per client per interval; the keep-alive announced is this rounded up to
     *     whole seconds (MQTT's unit)
     */
    public static MqttFleet create(int port, List<InetAddress> sources, int eventLoops, int count,
            Duration pingInterval, int rampPerSecond, int maxInFlight) {
        return new MqttFleet(port, sources, eventLoops, count, pingInterval, rampPerSecond, maxInFlight);
    }

    private static void dial(Bootstrap template, LoopShare home, MqttClientSim client, InetSocketAddress broker,
            InetAddress source) {
        client.dialling(System.nanoTime());
        Bootstrap bootstrap = template.clone(home.loop).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(MqttEncoder.INSTANCE, new MqttDecoder(), client);
            }
        });
        bootstrap.connect(broker, new InetSocketAddress(source, 0)).addListener(done -> {
            if (!done.isSuccess()) {
                home.failed(done.cause().getClass().getSimpleName());
                client.finishDial();
            }
        });
    }

    /** Connects the first {@code count} clients (beyond those connected already); returns at once. */
    public void connect(int count) {
        ramp.extendTo(count);
    }

    public MqttSnapshot snapshot() {
        List<Future<MqttSnapshot>> parts = new ArrayList<>();
        for (LoopShare share : loops) {
            parts.add(share.loop.submit(share::snapshot));
        }
        List<MqttSnapshot> done = new ArrayList<>();
        for (Future<MqttSnapshot> part : parts) {
            done.add(part.syncUninterruptibly().getNow());
        }
        return MqttSnapshot.merge(done);
    }

    @Override
    public void close() {
        ramp.stop();
        List<Future<?>> closing = new ArrayList<>();
        for (LoopShare share : loops) {
            closing.add(share.loop.submit(() -> {
                share.wheel.stop();
                share.clients.forEach(MqttClientSim::close);
            }));
        }
        closing.forEach(f -> f.awaitUninterruptibly(5_000));
        group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10_000);
    }

    /** The clients of one loop and their counters. Not thread safe: owned by {@link #loop}. */
    final class LoopShare {
        private final EventLoop loop;
        private final HeartbeatWheel wheel;
        private final long pingIntervalNanos;
        private final List<MqttClientSim> clients = new ArrayList<>();
        private final Map<String, Long> failures = new HashMap<>();
        private final Histogram connect = new Histogram();
        private final Histogram rtt = new Histogram();
        private long pings;
        private long pongs;
        private long disconnects;
        private int online;

        LoopShare(EventLoop loop, Duration pingInterval) {
            this.loop = loop;
            this.wheel = new HeartbeatWheel(loop);
            this.pingIntervalNanos = pingInterval.toNanos();
        }

        void connected(MqttClientSim client, long micros) {
            clients.add(client);
            online++;
            connect.record(micros);
            wheel.add(client, pingIntervalNanos);
        }

        void disconnected() {
            online--;
            disconnects++;
        }

        void failed(String cause) {
            failures.merge(cause, 1L, Long::sum);
        }

        void dialFinished() {
            ramp.finished();
        }

        void pinged() {
            pings++;
        }

        void pong(long rttMicros) {
            pongs++;
            if (rttMicros >= 0) {
                rtt.record(rttMicros);
            }
        }

        MqttSnapshot snapshot() {
            Histogram c = new Histogram();
            c.add(connect);
            Histogram r = new Histogram();
            r.add(rtt);
            return new MqttSnapshot(online, pings, pongs, disconnects, new TreeMap<>(failures), c, r);
        }
    }
}
