package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ServerRotationTest {

    private static final List<URI> SERVERS = List.of(URI.create("wss://a.example.com"),
            URI.create("wss://b.example.com"), URI.create("wss://c.example.com"), URI.create("wss://d.example.com"));

    @Test
    void theOrderIsAPermutationOfTheServersDrawnFromTheRandomGiven() {
        ServerRotation rotation = ServerRotation.shuffled(SERVERS, new SplittableRandom(42));

        assertThat(rotation.order()).containsExactlyInAnyOrderElementsOf(SERVERS);
        assertThat(ServerRotation.shuffled(SERVERS, new SplittableRandom(42)).order())
                .isEqualTo(rotation.order());
    }

    @Test
    void eachAttemptGoesToTheNextServerAndAfterTheLastBackToTheFirst() {
        ServerRotation rotation = ServerRotation.shuffled(SERVERS, new SplittableRandom(7));
        List<URI> order = rotation.order();

        List<URI> tried = IntStream.range(0, 9).mapToObj(i -> rotation.next()).toList();

        assertThat(tried).containsExactly(order.get(0), order.get(1), order.get(2), order.get(3),
                order.get(0), order.get(1), order.get(2), order.get(3), order.get(0));
    }

    @Test
    void peekNamesTheServerNextReturnsWithoutMovingOn() {
        ServerRotation rotation = ServerRotation.shuffled(SERVERS, new SplittableRandom(3));
        rotation.next();

        URI peeked = rotation.peek();

        assertThat(rotation.peek()).isEqualTo(peeked);
        assertThat(rotation.next()).isEqualTo(peeked).isEqualTo(rotation.order().get(1));
    }

    @Test
    void differentAgentsStartOnDifferentServers() {
        Set<URI> firsts = new HashSet<>();
        for (long seed = 0; seed < 64; seed++) {
            firsts.add(ServerRotation.shuffled(SERVERS, new SplittableRandom(seed)).next());
        }

        assertThat(firsts).containsExactlyInAnyOrderElementsOf(SERVERS);
    }

    @Test
    void oneServerIsAlwaysThatServer() {
        ServerRotation rotation = ServerRotation.shuffled(List.of(SERVERS.get(0)), new SplittableRandom(1));

        assertThat(List.of(rotation.next(), rotation.next(), rotation.next())).containsOnly(SERVERS.get(0));
    }

    @Test
    void theRotationKeepsItsOwnCopyOfTheServers() {
        List<URI> given = new ArrayList<>(SERVERS);
        ServerRotation rotation = ServerRotation.shuffled(given, new SplittableRandom(5));
        given.clear();

        assertThat(rotation.order()).hasSize(4);
    }

    @Test
    void noServersIsRefused() {
        assertThatThrownBy(() -> ServerRotation.shuffled(List.of(), new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("at least one server URL is required (--server URL)");
    }
}
