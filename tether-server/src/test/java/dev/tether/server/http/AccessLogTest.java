package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.HostileHttpClient;
import dev.tether.server.testing.SseClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Every HTTP request gets a request id (a sane incoming one kept, anything else replaced), echoed in the
 * response, and one access-log line at its end that never carries the query string or a credential.
 */
class AccessLogTest {

    private static final Pattern GENERATED = Pattern.compile("[0-9a-f]{32}");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** Keeps each line as logged (its MDC is read on the logging thread, as an encoder would). */
    final ListAppender<ILoggingEvent> lines = new ListAppender<>() {
        @Override
        protected void append(ILoggingEvent line) {
            line.prepareForDeferredProcessing();
            super.append(line);
        }
    };
    final Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
    TestServer server;

    @BeforeEach
    void start() throws Exception {
        lines.start();
        access.addAppender(lines);
        access.setLevel(Level.INFO);
        access.setAdditive(false);
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        server.close();
        access.detachAppender(lines);
        access.setLevel(null);
        access.setAdditive(true);
    }

    @Test
    void aSaneIncomingIdIsEchoedAndLoggedWithTheRouteAndPrincipalButNotTheQueryOrToken() throws Exception {
        HttpResponse<String> response = send("/api/v1/agents/nobody?token=query-secret-42&after=3",
                "req-123_abc.DEF:9/x=y+z@w~");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue(RequestIds.HEADER)).hasValue("req-123_abc.DEF:9/x=y+z@w~");
        ILoggingEvent line = awaitLine("req-123_abc.DEF:9/x=y+z@w~");
        assertThat(line.getFormattedMessage())
                .startsWith("GET /api/v1/agents/nobody 404 ")
                .contains("route=/api/v1/agents/:agent", "principal=admin", "remote=127.0.0.1:")
                .containsPattern(" [0-9]+B [0-9]+\\.[0-9]{3}ms ")
                .doesNotContain("query-secret-42", "token=", "after=", TestServer.ADMIN_TOKEN);
        assertThat(line.getMDCPropertyMap()).containsEntry(RequestIds.MDC_KEY, "req-123_abc.DEF:9/x=y+z@w~");
        assertThat(fields(line)).containsEntry("status", "404").containsEntry("method", "GET")
                .containsEntry("route", "/api/v1/agents/:agent").containsEntry("principal", "admin")
                .containsEntry("path", "/api/v1/agents/nobody");
    }

    @Test
    void aRequestWithoutAnIdGetsAGeneratedOneAndEachRequestItsOwn() throws Exception {
        String first = send("/healthz", null).headers().firstValue(RequestIds.HEADER).orElseThrow();
        String second = send("/healthz", null).headers().firstValue(RequestIds.HEADER).orElseThrow();

        assertThat(first).matches(GENERATED).isNotEqualTo(second);
        assertThat(second).matches(GENERATED);
        assertThat(awaitLine(first).getFormattedMessage()).startsWith("GET /healthz 200 ").contains("principal=-");
    }

    @Test
    void anInsaneIncomingIdIsReplacedByAGeneratedOne() throws Exception {
        String tooLong = "a".repeat(300);
        assertThat(send("/healthz", tooLong).headers().firstValue(RequestIds.HEADER)).get().asString()
                .matches(GENERATED);
        String longest = "x".repeat(RequestIds.MAX_LENGTH);
        assertThat(send("/healthz", longest).headers().firstValue(RequestIds.HEADER)).hasValue(longest);

        for (String insane : List.of("a\"b", "spa ce", "semi;colon", "back\\slash", "x?y", "{json}")) {
            assertThat(rawRequestId(insane)).as("the id answering %s", insane).matches(GENERATED);
        }
        assertThat(loggedIds()).hasSize(8).allMatch(id -> GENERATED.matcher(id).matches() || id.equals(longest));
    }

    @Test
    void anIdWithControlCharactersIsRefusedWithTheRequestAndNeverLogged() throws Exception {
        List<String> hostile = List.of("evil\u0000id", "evil\rid", "evil\u0001\u007fid");
        for (String id : hostile) {
            try (HostileHttpClient client = new HostileHttpClient(server.port())) {
                client.head("GET", "/healthz", Map.of(RequestIds.HEADER, id, "Connection", "close"));
                assertThat(client.status()).as("refused: no 200").isNotEqualTo(200);
            }
        }

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(loggedIds()).hasSize(hostile.size()));
        assertThat(loggedIds()).allMatch(id -> GENERATED.matcher(id).matches());
        for (ILoggingEvent line : List.copyOf(lines.list)) {
            assertThat(line.getFormattedMessage()).startsWith("GET /healthz 400 ").doesNotContain("evil")
                    .doesNotContain("\u0000").doesNotContain("\r").doesNotContain("\u0001");
        }
    }

    @Test
    void aWebSocketIsLoggedWhenItEndsWithTheSessionsDuration() throws Exception {
        Api.Enrolled enrolled = server.api().enrol("logged");
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        agent.hello();
        agent.heartbeatAcked();
        assertThat(lines.list).noneMatch(line -> line.getFormattedMessage().contains("/v1/agents/connect"));
        agent.close();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(List.copyOf(lines.list))
                .anyMatch(line -> line.getFormattedMessage().startsWith("GET /v1/agents/connect 101 ")));
        String metrics = server.api().withToken(null).get("/metrics").body();
        assertThat(metrics).doesNotContain("route=\"/v1/agents/connect\"");
    }

    @Test
    void anEventStreamIsLoggedWhenItEnds() throws Exception {
        try (SseClient stream = SseClient.open(server.port(), TestServer.ADMIN_TOKEN, "/api/v1/events", null)) {
            assertThat(stream.status()).isEqualTo(200);
            server.api().enrol("streamed");
            assertThat(List.copyOf(lines.list))
                    .noneMatch(line -> line.getFormattedMessage().startsWith("GET /api/v1/events "));
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(List.copyOf(lines.list))
                .anyMatch(line -> line.getFormattedMessage().startsWith("GET /api/v1/events 200 ")
                        && line.getFormattedMessage().contains("principal=admin")));
    }

    private HttpResponse<String> send(String path, String requestId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN);
        if (requestId != null) {
            request.header(RequestIds.HEADER, requestId);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The id the server answered a raw request carrying {@code requestId} with. */
    private String rawRequestId(String requestId) throws Exception {
        try (HostileHttpClient client = new HostileHttpClient(server.port())) {
            client.head("GET", "/healthz", Map.of(RequestIds.HEADER, requestId, "Connection", "close"));
            int status = client.status();
            assertThat(status).isIn(200, 400);
            Matcher id = Pattern.compile("(?im)^x-request-id: (\\S+)\\r?$").matcher(client.rest());
            assertThat(id.find()).as("a request id in the response").isTrue();
            return id.group(1);
        }
    }

    private List<String> loggedIds() {
        return List.copyOf(lines.list).stream().map(line -> line.getMDCPropertyMap().get(RequestIds.MDC_KEY))
                .toList();
    }

    private ILoggingEvent awaitLine(String requestId) {
        List<ILoggingEvent> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            found.clear();
            List.copyOf(lines.list).stream()
                    .filter(line -> requestId.equals(line.getMDCPropertyMap().get(RequestIds.MDC_KEY)))
                    .forEach(found::add);
            return !found.isEmpty();
        });
        assertThat(found).as("one access line per request").hasSize(1);
        return found.getFirst();
    }

    private static Map<String, String> fields(ILoggingEvent line) {
        Map<String, String> fields = new java.util.HashMap<>();
        for (KeyValuePair pair : line.getKeyValuePairs()) {
            fields.put(pair.key, String.valueOf(pair.value));
        }
        return fields;
    }
}
