package dev.tether.bench.peer;

import dev.tether.bench.sim.HeartbeatWheel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;

/**
 * One MQTT client held by the broker, the peer's equivalent of a simulated
 * agent: CONNECT with a keep-alive, then a PINGREQ per heartbeat interval
 * from the {@link HeartbeatWheel}. No subscriptions, nothing published; it
 * is the idle-connection cost being compared. Not thread safe: owned by its
 * event loop.
 */
final class MqttClientSim extends SimpleChannelInboundHandler<MqttMessage> implements HeartbeatWheel.Member {

    private final int index;
    private final MqttFleet.LoopShare home;
    private final int keepAliveSeconds;
    private Channel channel;
    private boolean online;
    private boolean finished;
    private long dialNanos;
    private long pingNanos;
    private int wheelSlot = -1;

    MqttClientSim(int index, MqttFleet.LoopShare home, int keepAliveSeconds) {
        this.index = index;
        this.home = home;
        this.keepAliveSeconds = keepAliveSeconds;
    }

    void dialling(long nanos) {
        dialNanos = nanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        ctx.writeAndFlush(MqttMessageBuilders.connect()
                .protocolVersion(MqttVersion.MQTT_3_1_1)
                .clientId("bench-" + index)
                .cleanSession(true)
                .keepAlive(keepAliveSeconds)
                .build());
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
        MqttMessageType type = message.fixedHeader().messageType();
        if (type == MqttMessageType.CONNACK) {
            MqttConnAckMessage ack = (MqttConnAckMessage) message;
            if (ack.variableHeader().connectReturnCode() == MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                online = true;
                long now = System.nanoTime();
                home.connected(this, (now - dialNanos) / 1000);
                finishDial();
            } else {
                home.failed("connack_" + ack.variableHeader().connectReturnCode());
                finishDial();
                ctx.close();
            }
        } else if (type == MqttMessageType.PINGRESP) {
            home.pong(pingNanos == 0 ? -1 : (System.nanoTime() - pingNanos) / 1000);
            pingNanos = 0;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (online) {
            home.disconnected();
        }
        online = false;
        finishDial();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable failure) {
        home.failed(failure.getClass().getSimpleName());
        ctx.close();
    }

    /** The dial ended (accepted, refused or failed): its ramp slot is free. */
    void finishDial() {
        if (!finished) {
            finished = true;
            home.dialFinished();
        }
    }

    void close() {
        if (channel != null) {
            channel.writeAndFlush(MqttMessage.DISCONNECT).addListener(f -> channel.close());
        }
    }

    @Override
    public boolean online() {
        return online;
    }

    @Override
    public void tick(long nowNanos) {
        pingNanos = nowNanos;
        channel.writeAndFlush(MqttMessage.PINGREQ, channel.voidPromise());
        home.pinged();
    }

    @Override
    public int wheelSlot() {
        return wheelSlot;
    }

    @Override
    public void wheelSlot(int slot) {
        wheelSlot = slot;
    }
}
