package dev.tether.protocol;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Drives an agent end and a server end through random publishes, partial
 * deliveries, cut links and crashes of either side, then lets the link heal
 * and checks that every reliable payload was applied exactly once, in order,
 * in both directions. The same property runs over the real outboxes in the
 * agent's and the server's tests (see {@link SimulatedTether}).
 */
class ReliableDeliveryProperties {

    @Property(tries = 400)
    void everyReliablePayloadIsAppliedExactlyOnceInOrder(
            @ForAll @Size(min = 20, max = 300) List<@IntRange(min = 0, max = 1099) Integer> steps,
            @ForAll @IntRange(min = 1, max = 16) int window) throws ProtocolException {
        SimulatedTether tether = new SimulatedTether(window);

        tether.runAll(steps);

        tether.assertEachPayloadAppliedOnceInOrder();
        tether.collectStatistics();
    }
}
