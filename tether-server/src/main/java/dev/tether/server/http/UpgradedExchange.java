package dev.tether.server.http;

import io.netty.channel.Channel;

/**
 * The exchange of a connection upgraded to a WebSocket and taken from Vert.x, once its {@link ExchangeTracker}
 * left the pipeline ({@link AccessLog#handOver}): the WebSocket's handler counts the bytes it writes here and
 * ends it when the connection ends, which writes the session's access-log line as the tracker would have.
 * One object instead of a tracker, its pipeline context and its queue, for as long as an agent stays connected.
 *
 * <p>Not thread safe: owned by the channel's event loop.
 */
public final class UpgradedExchange {

    private final AccessLog log;
    private final Channel channel;
    /** The 101 exchange, and any the tracker still held before it (finished at the end, as the tracker would). */
    private final Exchange[] exchanges;

    UpgradedExchange(AccessLog log, Channel channel, Exchange[] exchanges) {
        this.log = log;
        this.channel = channel;
        this.exchanges = exchanges;
    }

    /** Bytes written to the connection, counted as the tracker counted them: against the oldest exchange. */
    public void sent(long bytes) {
        exchanges[0].bytes += bytes;
    }

    /** The connection ended: logs its exchanges. Call once. */
    public void ended() {
        String remote = ExchangeTracker.address(channel.remoteAddress());
        for (Exchange exchange : exchanges) {
            log.finished(exchange, remote);
        }
    }
}
