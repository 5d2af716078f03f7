package dev.tether.bench.peer;

import dev.tether.bench.report.Histogram;
import dev.tether.bench.sim.Ramp;
import dev.tether.bench.sim.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubAckMessage;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The peer side of the fan-out scenario: N MQTT clients subscribed at QoS 1
 * to one topic, and one more client that publishes a message to it at QoS 1.
 * Each subscriber times its delivery from the publish (both in this process,
 * so on {@code System.nanoTime}) and acknowledges it with PUBACK, as an agent
 * acknowledges a command; the publisher times the broker's PUBACK.
 *
 * <p>Thread safe: public methods hop to the clients' loops.
 */
public final class MqttFanout implements AutoCloseable {

    static final String TOPIC = "tether-bench/fanout";

    private final EventLoopGroup group;
    private final List<Share> shares = new ArrayList<>();
    private final List<Subscriber> subscribers = new ArrayList<>();
    private final Ramp ramp;
    private final InetSocketAddress broker;
    private final Bootstrap bootstrap;
    private final List<InetAddress> sources;
    private volatile long publishedNanos;
    private Publisher publisher;

    private MqttFanout(int port, List<InetAddress> sources, int eventLoops, int count, int maxInFlight) {
        this.group = Transport.loops(eventLoops, "mqtt-fanout");
        this.bootstrap = Transport.client();
        this.sources = sources;
        this.broker = new InetSocketAddress("127.0.0.1", port);
        Iterator<EventExecutor> executors = group.iterator();
        while (executors.hasNext()) {
            shares.add(new Share((EventLoop) executors.next()));
        }
        for (int i = 0; i < count; i++) {
            subscribers.add(new Subscriber(i, shares.get(i % shares.size())));
        }
        this.ramp = new Ramp(shares.get(0).loop, 0, maxInFlight, count, i -> {
            Subscriber s = subscribers.get(i);
            s.share.loop.execute(() -> dial(s.share.loop, s, sources.get(i % sources.size())));
        });
    }

    /** {@code count} subscribers, connected and subscribed at most {@code maxInFlight} at a time. */
    public static MqttFanout create(int port, List<InetAddress> sources, int eventLoops, int count, int maxInFlight) {
        return new MqttFanout(port, sources, eventLoops, count, maxInFlight);
    }

    private void dial(EventLoop loop, SimpleChannelInboundHandler<MqttMessage> client, InetAddress source) {
        bootstrap.clone(loop).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(MqttEncoder.INSTANCE, new MqttDecoder(), client);
            }
        }).connect(broker, new InetSocketAddress(source, 0)).addListener(done -> {
            if (!done.isSuccess() && client instanceof Subscriber s) {
                s.share.failures++;
                s.finishDial();
            }
        });
    }

    /** Connects and subscribes every subscriber, and connects the publisher; returns at once. */
    public void connect() {
        ramp.extendTo(subscribers.size());
        publisher = new Publisher();
        EventLoop loop = shares.get(0).loop;
        loop.execute(() -> dial(loop, publisher, sources.get(0)));
    }

    /** Subscribers with an acknowledged subscription, and whether the publisher is connected. */
    public int subscribed() {
        return (int) sum(share -> share.subscribed);
    }

    public boolean publisherReady() {
        return publisher != null && publisher.connected;
    }

    /** Deliveries received since the start, over all subscribers. */
    public long delivered() {
        return sum(share -> share.delivered);
    }

    public long failures() {
        return sum(share -> share.failures);
    }

    /**
     * Publishes one message at QoS 1 from the publisher; deliveries from now on are timed from this moment.
     * Returns at once.
     */
    public void publish(int messageId) {
        publisher.pubAckMicros = -1;
        EventLoop loop = shares.get(0).loop;
        loop.execute(() -> {
            publishedNanos = System.nanoTime();
            publisher.publish(messageId);
        });
    }

    /** Publish to PUBACK of the last publish, microseconds; -1 until it came. */
    public long pubAckMicros() {
        return publisher == null ? -1 : publisher.pubAckMicros;
    }

    /** Publish to each delivery, microseconds, over all subscribers since the start. */
    public Histogram deliveries() {
        Histogram total = new Histogram();
        for (Share share : shares) {
            total.add(share.loop.submit(() -> {
                Histogram copy = new Histogram();
                copy.add(share.delivery);
                return copy;
            }).syncUninterruptibly().getNow());
        }
        return total;
    }

    private long sum(ToLongFunction<Share> field) {
        long total = 0;
        for (Share share : shares) {
            total += share.loop.submit(() -> field.applyAsLong(share)).syncUninterruptibly().getNow();
        }
        return total;
    }

    @Override
    public void close() {
        ramp.stop();
        List<Future<?>> closing = new ArrayList<>();
        for (Share share : shares) {
            closing.add(share.loop.submit(() -> share.channels.forEach(ch ->
                    ch.writeAndFlush(MqttMessage.DISCONNECT).addListener(f -> ch.close()))));
        }
        closing.forEach(f -> f.awaitUninterruptibly(5_000));
        group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10_000);
    }

    private static MqttMessage connectMessage(String clientId) {
        return MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId(clientId)
                .cleanSession(true).keepAlive(600).build();
    }

    private static boolean accepted(MqttMessage message) {
        return message instanceof MqttConnAckMessage ack
                && ack.variableHeader().connectReturnCode() == MqttConnectReturnCode.CONNECTION_ACCEPTED;
    }

    /** The subscribers of one loop and their counters. Not thread safe: owned by {@link #loop}. */
    private static final class Share {
        final EventLoop loop;
        final List<Channel> channels = new ArrayList<>();
        final Histogram delivery = new Histogram();
        int subscribed;
        long delivered;
        long failures;

        Share(EventLoop loop) {
            this.loop = loop;
        }
    }

    /** One subscriber; its handler runs on its share's loop. */
    private final class Subscriber extends SimpleChannelInboundHandler<MqttMessage> {
        private final int index;
        private final Share share;
        private boolean dialFinished;

        Subscriber(int index, Share share) {
            this.index = index;
            this.share = share;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            share.channels.add(ctx.channel());
            ctx.writeAndFlush(connectMessage("fanout-sub-" + index));
            super.channelActive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
            MqttMessageType type = message.fixedHeader().messageType();
            switch (type) {
                case CONNACK -> {
                    if (accepted(message)) {
                        ctx.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1)
                                .addSubscription(MqttQoS.AT_LEAST_ONCE, TOPIC).build());
                    } else {
                        share.failures++;
                        finishDial();
                        ctx.close();
                    }
                }
                case SUBACK -> {
                    share.subscribed++;
                    finishDial();
                }
                case PUBLISH -> {
                    long micros = (System.nanoTime() - publishedNanos) / 1000;
                    share.delivered++;
                    share.delivery.record(Math.max(0, micros));
                    MqttPublishMessage publish = (MqttPublishMessage) message;
                    if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                        ctx.writeAndFlush(pubAck(publish.variableHeader().packetId()), ctx.voidPromise());
                    }
                }
                default -> { }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            share.channels.remove(ctx.channel());
            finishDial();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable failure) {
            share.failures++;
            ctx.close();
        }

        void finishDial() {
            if (!dialFinished) {
                dialFinished = true;
                ramp.finished();
            }
        }
    }

    private static MqttPubAckMessage pubAck(int packetId) {
        return new MqttPubAckMessage(new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE,
                false, 2), MqttMessageIdVariableHeader.from(packetId));
    }

    /** The publishing client, on the first loop. */
    private final class Publisher extends SimpleChannelInboundHandler<MqttMessage> {
        private Channel channel;
        volatile boolean connected;
        volatile long pubAckMicros = -1;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            channel = ctx.channel();
            shares.get(0).channels.add(channel);
            ctx.writeAndFlush(connectMessage("fanout-publisher"));
            super.channelActive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
            MqttMessageType type = message.fixedHeader().messageType();
            if (type == MqttMessageType.CONNACK) {
                connected = accepted(message);
            } else if (type == MqttMessageType.PUBACK) {
                pubAckMicros = (System.nanoTime() - publishedNanos) / 1000;
            }
        }

        void publish(int messageId) {
            channel.writeAndFlush(MqttMessageBuilders.publish().topicName(TOPIC).qos(MqttQoS.AT_LEAST_ONCE)
                    .messageId(messageId).retained(false)
                    .payload(Unpooled.copiedBuffer("{\"argv\":[\"true\"]}", StandardCharsets.UTF_8)).build());
        }
    }
}
