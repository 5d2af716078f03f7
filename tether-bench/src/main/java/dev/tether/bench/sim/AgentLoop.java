package dev.tether.bench.sim;

import dev.tether.protocol.Limits;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The agents of one event loop and what they share there: statistics, the
 * heartbeat wheel, and the dialer. Each agent stays on one loop for its whole
 * life, reconnects included, so none of this needs a lock.
 *
 * <p>Not thread safe: owned by {@link #loop()}, except {@link #releaseRampSlot}.
 */
final class AgentLoop {

    /** Largest HTTP response read before the upgrade (a 401's JSON body). */
    private static final int MAX_UPGRADE_RESPONSE_BYTES = 64 * 1024;

    final LoopStats stats = new LoopStats();
    final List<SimAgent> agents = new ArrayList<>();
    private final EventLoop loop;
    private final Fleet fleet;
    private final FleetConfig config;
    private final Bootstrap bootstrap;
    private final HeartbeatWheel wheel;
    private int nextSource;

    AgentLoop(EventLoop loop, Fleet fleet, FleetConfig config, Bootstrap bootstrap) {
        this.loop = loop;
        this.fleet = fleet;
        this.config = config;
        this.bootstrap = bootstrap.clone(loop);
        this.wheel = new HeartbeatWheel(loop);
    }

    EventLoop loop() {
        return loop;
    }

    Backoff backoff() {
        return config.backoff();
    }

    String bootId() {
        return config.runId();
    }

    /**
     * Opens a connection for the agent, bound to the next source address;
     * failures come back via {@link SimAgent#ended}.
     */
    Channel dial(SimAgent agent) {
        URI server = serverFor(agent);
        InetSocketAddress remote = new InetSocketAddress(server.getHost(), server.getPort());
        List<InetAddress> sources = config.sourceAddresses();
        InetSocketAddress local = new InetSocketAddress(sources.get(nextSource++ % sources.size()), 0);
        ChannelFuture connect = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                pipeline(ch.pipeline(), agent, server);
            }
        }).connect(remote, local);
        Channel ch = connect.channel();
        connect.addListener(done -> {
            if (!done.isSuccess()) {
                // Later, not inline: the agent records the channel only once dial() returns.
                loop.execute(() -> agent.ended(ch, SimAgentHandler.causeOf(done.cause())));
            }
        });
        return ch;
    }

    /** The URL of the agent's current attempt: its turn through the fleet's server list. */
    URI serverFor(SimAgent agent) {
        List<URI> servers = config.servers();
        return servers.get(Math.floorMod(agent.serverTurn(), servers.size()));
    }

    private void pipeline(ChannelPipeline pipeline, SimAgent agent, URI server) {
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(server)
                .version(WebSocketVersion.V13)
                .customHeaders(new DefaultHttpHeaders()
                        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + agent.credentials().key()))
                .maxFramePayloadLength(Limits.MAX_FRAME_BYTES)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(Limits.HANDSHAKE_TIMEOUT.toMillis())
                .absoluteUpgradeUrl(false)
                .generateOriginHeader(false)
                .build();
        pipeline.addLast(new HttpClientCodec(),
                new HttpObjectAggregator(MAX_UPGRADE_RESPONSE_BYTES),
                new WebSocketClientProtocolHandler(ws),
                new SimAgentHandler(agent));
    }

    /** An agent completed its handshake and sent its first heartbeat. */
    void online(SimAgent agent, long intervalNanos) {
        wheel.add(agent, intervalNanos);
    }

    void releaseRampSlot() {
        fleet.releaseRampSlot();
    }

    /** Stops the wheel; call on the loop. */
    void stopTimers() {
        wheel.stop();
    }

    /** This loop's share of a snapshot; call on the loop. */
    void snapshotInto(FleetSnapshot.Builder builder) {
        builder.add(stats);
        for (SimAgent agent : agents) {
            builder.agents++;
            long pending = agent.pending();
            builder.pending += pending;
            if (pending == 0) {
                builder.drained++;
            }
            if (agent.online()) {
                builder.online++;
            }
            if (agent.everOnline()) {
                builder.everOnline++;
            }
        }
    }
}
