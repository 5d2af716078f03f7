package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/agents} pages and filters, and {@code PATCH}/{@code DELETE} change agents, the same on both
 * databases (labels are filtered with each one's JSON functions). Each test works on agents of its own prefix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AgentListContract {

    private TestServer server;
    private Api api;

    abstract TestDatabase database();

    @BeforeAll
    void startServer(@TempDir Path dir) throws Exception {
        server = TestServer.start(dir, database(), Duration.ofSeconds(30));
        api = server.api();
    }

    @AfterAll
    void stopServer() {
        server.close();
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private JsonObject list(String query) {
        Response response = api.get("/api/v1/agents?" + query);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    private static List<String> names(JsonObject page) {
        List<String> names = new ArrayList<>();
        page.getJsonArray("agents").forEach(agent -> names.add(((JsonObject) agent).getString("name")));
        return names;
    }

    /** Every name, following next_before from the first page; checks each page's size. */
    private List<String> allPages(String query, int limit) {
        List<String> names = new ArrayList<>();
        String before = null;
        int pages = 0;
        do {
            assertThat(++pages).as("pages of " + query).isLessThan(200);
            JsonObject page = list(query + "&limit=" + limit + (before == null ? "" : "&before=" + enc(before)));
            assertThat(page.getJsonArray("agents").size()).isLessThanOrEqualTo(limit);
            names.addAll(names(page));
            before = page.getString("next_before");
        } while (before != null);
        return names;
    }

    @Test
    void followingThePagesWhileAgentsAreEnrolledSeesEveryEarlierAgentOnceInNameOrder() {
        List<String> earlier = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            earlier.add(api.enrol(String.format("pg-%02d", i), new JsonObject().put("suite", "paging")).name());
        }
        List<String> seen = new ArrayList<>();
        String before = null;
        int page = 0;
        do {
            assertThat(page).as("pages").isLessThan(100);
            JsonObject reply = list("selector=suite%3Dpaging&limit=4" + (before == null ? "" : "&before=" + enc(before)));
            assertThat(reply.getJsonArray("agents").size()).isBetween(1, 4);
            seen.addAll(names(reply));
            before = reply.getString("next_before");
            // Agents enrolled between pages, on both sides of the cursor: before it, between it and the
            // rest, and after everything.
            String stamp = String.format("%02d", page++);
            api.enrol("pg-00-" + stamp, new JsonObject().put("suite", "paging"));
            api.enrol(seen.get(seen.size() - 1) + "-" + stamp, new JsonObject().put("suite", "paging"));
            api.enrol("pg-99-" + stamp, new JsonObject().put("suite", "paging"));
        } while (before != null);

        assertThat(new HashSet<>(seen)).as("no agent twice").hasSize(seen.size());
        assertThat(seen).containsAll(earlier).isSorted();
        assertThat(seen).as("agents enrolled behind the cursor are not seen").doesNotContain("pg-00-00");
    }

    @Test
    void theLastPageHasNoNextCursorAndTheDefaultPageIsAHundred() {
        for (int i = 0; i < 101; i++) {
            api.enrol(String.format("dflt-%03d", i), new JsonObject().put("suite", "default"));
        }
        JsonObject first = list("q=dflt-");
        assertThat(first.getJsonArray("agents")).hasSize(AgentListing.DEFAULT_LIMIT);
        assertThat(first.getString("next_before")).isNotNull();
        JsonObject last = list("q=dflt-&before=" + enc(first.getString("next_before")));
        assertThat(names(last)).containsExactly("dflt-100");
        assertThat(last.containsKey("next_before")).isTrue();
        assertThat(last.getValue("next_before")).isNull();
        assertThat(list("q=dflt-&limit=101").getValue("next_before")).isNull();
    }

    @Test
    void aSelectorFiltersOnTheAgentsLabels() {
        api.enrol("sel-a", new JsonObject().put("suite", "sel").put("env", "prod").put("role", "db"));
        api.enrol("sel-b", new JsonObject().put("suite", "sel").put("env", "prod"));
        api.enrol("sel-c", new JsonObject().put("suite", "sel").put("env", "staging").put("role", "web"));
        api.enrol("sel-d", new JsonObject().put("suite", "sel").put("team/owner.x", "a b"));

        assertThat(allPages("selector=" + enc("suite=sel,env=prod"), 1)).containsExactly("sel-a", "sel-b");
        assertThat(allPages("selector=" + enc("suite=sel,env!=prod"), 1)).containsExactly("sel-c", "sel-d");
        assertThat(allPages("selector=" + enc("suite=sel, role"), 1)).containsExactly("sel-a", "sel-c");
        assertThat(allPages("selector=" + enc("suite=sel,!role"), 1)).containsExactly("sel-b", "sel-d");
        assertThat(allPages("selector=" + enc("suite=sel,team/owner.x=a b"), 5)).containsExactly("sel-d");
        assertThat(allPages("selector=" + enc("suite=sel,env=prod,role=web"), 5)).isEmpty();
    }

    @Test
    void qMatchesPartOfTheNameIgnoringCaseAndTakesWildcardsLiterally() {
        api.enrol("Qry_Alpha-1", new JsonObject());
        api.enrol("qryXalpha-2", new JsonObject());
        api.enrol("qry-beta", new JsonObject());

        assertThat(allPages("q=ALPHA", 10)).containsExactly("Qry_Alpha-1", "qryXalpha-2");
        assertThat(allPages("q=" + enc("qry_"), 10)).containsExactly("Qry_Alpha-1");
        assertThat(allPages("q=" + enc("%"), 10)).isEmpty();
        assertThat(allPages("q=qry&selector=" + enc("nothing"), 10)).isEmpty();
    }

    @Test
    void statusFiltersOnPresenceAndStillPagesWithoutGapsOrRepeats() {
        List<TestAgent> connected = new ArrayList<>();
        Set<String> online = new HashSet<>();
        Set<String> offline = new HashSet<>();
        for (int i = 0; i < 9; i++) {
            Api.Enrolled agent = api.enrol("st-" + i, new JsonObject().put("suite", "status"));
            if (i % 3 == 0) {
                TestAgent connection = TestAgent.connect(server.port(), agent.key());
                connection.hello();
                connected.add(connection);
                online.add(agent.name());
            } else {
                offline.add(agent.name());
            }
        }
        try {
            assertThat(allPages("selector=suite%3Dstatus&status=online", 1)).containsExactlyInAnyOrderElementsOf(online);
            assertThat(allPages("selector=suite%3Dstatus&status=offline", 2))
                    .containsExactlyInAnyOrderElementsOf(offline);
            assertThat(allPages("selector=suite%3Dstatus&status=pending", 2)).isEmpty();
            JsonObject shown = list("selector=suite%3Dstatus&status=online&limit=1").getJsonArray("agents")
                    .getJsonObject(0);
            assertThat(shown.getString("status")).isEqualTo("online");
        } finally {
            connected.forEach(TestAgent::close);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> allPages("selector=suite%3Dstatus&status=online", 5).isEmpty());
        assertThat(allPages("selector=suite%3Dstatus&status=offline", 4)).hasSize(9);
    }

    @Test
    void revokedSelectsRevokedAgentsOrTheOthers() {
        api.enrol("rv-kept", new JsonObject());
        api.enrol("rv-gone", new JsonObject());
        assertThat(api.post("/api/v1/agents/rv-gone/revoke", "").status()).isEqualTo(200);

        assertThat(allPages("q=rv-&revoked=true", 10)).containsExactly("rv-gone");
        assertThat(allPages("q=rv-&revoked=false", 10)).containsExactly("rv-kept");
    }

    @Test
    void badParametersAreRefusedSayingWhatIsAllowed() {
        assertBadRequest("limit=0", "invalid_limit", "from 1 to 1000");
        assertBadRequest("limit=1001", "invalid_limit", "from 1 to 1000");
        assertBadRequest("limit=-5", "invalid_limit", "from 1 to 1000");
        assertBadRequest("limit=ten", "invalid_limit", "from 1 to 1000");
        assertBadRequest("limit=99999999999999999999", "invalid_limit", "from 1 to 1000");
        assertBadRequest("before=" + enc("not a cursor!"), "invalid_before", "next_before");
        assertBadRequest("before=AA", "invalid_before", "next_before");
        assertBadRequest("before=" + "QUFB".repeat(30), "invalid_before", "next_before");
        assertBadRequest("status=asleep", "invalid_status", "online, offline, pending");
        assertBadRequest("status=revoked", "invalid_status", "revoked=true");
        assertBadRequest("revoked=yes", "invalid_revoked", "true or false");
        assertBadRequest("q=" + "x".repeat(64), "invalid_q", "at most 63");
        assertBadRequest("q=a%00b", "invalid_q", "control characters");
        assertBadRequest("selector=" + enc("env==prod"), "invalid_selector", "position");
        assertBadRequest("selector=" + enc("e".repeat(2000)), "invalid_selector", "longer than");
    }

    private void assertBadRequest(String query, String code, String message) {
        Response response = api.get("/api/v1/agents?" + query);
        assertThat(response.status()).as(query + ": " + response.body()).isEqualTo(400);
        assertThat(response.json().getString("error")).as(query).isEqualTo(code);
        assertThat(response.json().getString("message")).as(query).contains(message);
    }

    @Test
    void patchingLabelsMergesThemAndTheSelectorSeesTheChange() {
        String id = api.enrol("lbl-1", new JsonObject().put("env", "staging").put("gone", "x").put("kept", "y")).id();

        Response patched = api.patch("/api/v1/agents/lbl-1",
                "{\"labels\": {\"env\": \"prod\", \"gone\": null, \"new/key\": \"\"}}");

        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        assertThat(patched.json().getJsonObject("labels").getMap()).containsOnly(
                java.util.Map.entry("env", "prod"), java.util.Map.entry("kept", "y"),
                java.util.Map.entry("new/key", ""));
        assertThat(api.get("/api/v1/agents/" + id).json().getJsonObject("labels").getMap()).hasSize(3);
        assertThat(allPages("q=lbl-&selector=" + enc("env=prod,!gone"), 5)).containsExactly("lbl-1");
    }

    @Test
    void aRevokedAgentWithJobsNotFinalIsNotDeleted() {
        api.enrol("busy-1", new JsonObject());
        String command = api.exec(List.of("busy-1"), "true").getString("id");
        api.post("/api/v1/agents/busy-1/revoke", "");

        Response refused = api.delete("/api/v1/agents/busy-1");

        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.json().getString("error")).isEqualTo("unfinished_jobs");
        assertThat(api.get("/api/v1/agents/busy-1").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/commands/" + command + "/cancel", "").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> api.delete("/api/v1/agents/busy-1").status() == 200);
        assertThat(api.get("/api/v1/commands/" + command).status()).isEqualTo(200);
    }

    @Test
    void deletingARevokedAgentRemovesItsHistoryAndItsKeyNoLongerConnects() {
        Api.Enrolled agent = api.enrol("del-1", new JsonObject());
        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        connection.hello();
        connection.event(1, "del.event");
        await().atMost(Duration.ofSeconds(10)).until(() -> connection.highestAck() == 1);
        Response live = api.delete("/api/v1/agents/del-1");
        assertThat(live.status()).as(live.body()).isEqualTo(409);
        assertThat(live.json().getString("error")).isEqualTo("not_revoked");
        assertThat(live.json().getString("message")).contains("revoke it first");

        assertThat(api.post("/api/v1/agents/del-1/revoke", "").status()).isEqualTo(200);
        connection.close();
        Response deleted = api.delete("/api/v1/agents/del-1");

        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().getString("id")).isEqualTo(agent.id());
        assertThat(api.get("/api/v1/agents/" + agent.id()).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/agents/" + agent.id() + "/events").status()).isEqualTo(404);
        assertThat(allPages("q=del-", 5)).isEmpty();
        TestAgent.Rejection rejection = TestAgent.rejection(server.port(), agent.key());
        assertThat(rejection.status()).isEqualTo(401);
        assertThat(rejection.body()).contains("unknown agent key");
        assertThat(api.delete("/api/v1/agents/del-1").status()).isEqualTo(404);
        JsonArray audit = api.get("/api/v1/audit?action=agent.delete").json().getJsonArray("entries");
        assertThat(audit.encode()).contains("del-1");
    }
}
