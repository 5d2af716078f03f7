package dev.tether.bench.peer;

import dev.tether.bench.report.Histogram;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The MQTT clients' state at one instant.
 *
 * @param online clients with an accepted CONNECT and an open connection
 * @param pings PINGREQs sent since the start
 * @param pongs PINGRESPs received
 * @param connect TCP connect to CONNACK, microseconds
 * @param rtt PINGREQ to PINGRESP, microseconds
 */
public record MqttSnapshot(int online, long pings, long pongs, long disconnects, Map<String, Long> failures,
        Histogram connect, Histogram rtt) {

    static MqttSnapshot merge(List<MqttSnapshot> parts) {
        int online = 0;
        long pings = 0;
        long pongs = 0;
        long disconnects = 0;
        Map<String, Long> failures = new TreeMap<>();
        Histogram connect = new Histogram();
        Histogram rtt = new Histogram();
        for (MqttSnapshot p : parts) {
            online += p.online;
            pings += p.pings;
            pongs += p.pongs;
            disconnects += p.disconnects;
            p.failures.forEach((k, v) -> failures.merge(k, v, Long::sum));
            connect.add(p.connect);
            rtt.add(p.rtt);
        }
        return new MqttSnapshot(online, pings, pongs, disconnects, Map.copyOf(failures), connect, rtt);
    }
}
