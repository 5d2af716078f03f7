package dev.tether.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The stored event stream on each database: order, filters, bounded retention, ids never reused. */
class EventLogTest {

    private static final long NOW = 1_000_000_000L;

    @TempDir
    Path dir;

    private EventLog open(TestDatabase database) {
        Database db = Database.open(database.freshJdbcUrl(dir), 2);
        db.migrate();
        return new EventLog(db);
    }

    private static List<ServerEvent> events(int count, String type, String agentId, long createdAt) {
        List<ServerEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            events.add(ServerEvent.create(type, agentId, new JsonObject().put("n", i), createdAt));
        }
        return events;
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void eventsAreReadInIdOrderBetweenBoundsAndThroughFilters(TestDatabase database) {
        EventLog log = open(database);
        log.append(events(3, ServerEvent.JOB_STATE, "a", NOW));
        log.append(events(2, ServerEvent.AGENT_ONLINE, "b", NOW));

        List<ServerEvent> all = log.between(0, Long.MAX_VALUE, EventFilter.ALL, 100);
        assertThat(all).extracting(ServerEvent::id).isSorted().hasSize(5);
        assertThat(log.between(all.get(1).id(), all.get(3).id(), EventFilter.ALL, 100)).extracting(ServerEvent::id)
                .containsExactly(all.get(2).id(), all.get(3).id());
        assertThat(log.between(0, Long.MAX_VALUE, new EventFilter(Set.of(ServerEvent.AGENT_ONLINE), null), 100))
                .hasSize(2);
        assertThat(log.between(0, Long.MAX_VALUE, new EventFilter(Set.of(), "a"), 2)).extracting(ServerEvent::id)
                .containsExactly(all.get(0).id(), all.get(1).id());
        assertThat(log.latest(EventFilter.ALL, 2)).extracting(ServerEvent::id)
                .containsExactly(all.get(3).id(), all.get(4).id());
        assertThat(log.lastId()).isEqualTo(all.get(4).id());
        assertThat(log.firstId()).isEqualTo(all.get(0).id());
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void pruningKeepsTheNewestRowsWithinTheRetentionAndIdsAreNeverReused(TestDatabase database) {
        EventLog log = open(database);
        log.append(events(2, ServerEvent.JOB_STATE, null, NOW - Duration.ofHours(25).toMillis()));
        log.append(events(5, ServerEvent.JOB_STATE, null, NOW));
        long last = log.lastId();

        assertThat(log.prune(NOW, Duration.ofHours(24), 3)).isEqualTo(4);
        assertThat(log.between(0, Long.MAX_VALUE, EventFilter.ALL, 100)).hasSize(3);
        assertThat(log.prune(NOW + Duration.ofDays(2).toMillis())).isEqualTo(3);
        log.append(events(1, ServerEvent.JOB_STATE, null, NOW));
        assertThat(log.lastId()).isEqualTo(last + 1);
    }
}
