package dev.tether.server.http;

import io.netty.channel.Channel;
import java.util.Arrays;

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
    /** The oldest exchange the tracker held: the 101 one, unless requests were pipelined before it. */
    private final Exchange oldest;
    /** The others the tracker still held, in order (finished at the end, as the tracker would); usually null. */
    private final Exchange[] later;

    /** @param exchanges what the tracker held, oldest first; at least one */
    UpgradedExchange(AccessLog log, Channel channel, Exchange[] exchanges) {
        this.log = log;
        this.channel = channel;
        this.oldest = exchanges[0];
        this.later = exchanges.length == 1 ? null : Arrays.copyOfRange(exchanges, 1, exchanges.length);
    }

    /** Bytes written to the connection, counted as the tracker counted them: against the oldest exchange. */
    public void sent(long bytes) {
        oldest.bytes += bytes;
    }

    /** The connection ended: logs its exchanges. Call once. */
    public void ended() {
        String remote = ExchangeTracker.address(channel.remoteAddress());
        log.finished(oldest, remote);
        if (later != null) {
            for (Exchange exchange : later) {
                log.finished(exchange, remote);
            }
        }
    }
}
