package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.Backoff;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode end to end: three real server processes on one PostgreSQL (embedded), HAProxy in front of them,
 * agents as real processes or real agents in this JVM. A node is killed with SIGKILL or paused with SIGSTOP
 * the way a machine dies or stalls.
 */
class ClusterEndToEndTest {

    @TempDir
    Path dir;
    ClusterRig rig;

    @BeforeEach
    void createRig(TestInfo test) throws Exception {
        rig = ClusterRig.forTest(dir, test);
    }

    @AfterEach
    void stopRig() throws Exception {
        rig.close();
    }

    @Test
    void aCommandCreatedThroughOneNodeRunsOnAnAgentHeldByAnotherAndItsOutputAndEventsFollowOnAThird()
            throws Exception {
        rig.start("a", "b", "c");
        ServerApi a = rig.node("a").api();
        ServerApi c = rig.node("c").api();
        Fleet.AgentIdentity agent = rig.createAgent("far");
        rig.startAgent(agent, rig.node("b").url());
        await("online through b, seen on a and c").atMost(Duration.ofSeconds(20)).until(() ->
                "b".equals(a.agent(agent.id()).getString("node")) && "online".equals(c.status(agent.id())));
        List<String> stream = subscribe(rig.node("c").url());

        String jobId = a.ok("POST", "/api/v1/commands", new JsonObject().put("type", "exec")
                .put("agents", new JsonArray().add("far"))
                .put("argv", new JsonArray().add("sh").add("-c").add("echo ran-on-$(hostname)-marker; exit 0"))
                .encode()).getJsonArray("jobs").getJsonObject(0).getString("id");

        await("job succeeded, seen on c").atMost(Duration.ofSeconds(20)).until(() ->
                "succeeded".equals(c.ok("GET", "/api/v1/jobs/" + jobId, null).getString("state")));
        JsonObject output = c.ok("GET", "/api/v1/jobs/" + jobId + "/output", null);
        assertThat(output.getJsonArray("chunks").stream().map(o -> ((JsonObject) o).getString("data"))
                .collect(Collectors.joining())).contains("ran-on-").contains("-marker");
        await("c's event stream carries the job's end from b").atMost(Duration.ofSeconds(10)).until(() ->
                stream.stream().anyMatch(line -> line.contains(jobId) && line.contains("succeeded")));

        List<Long> onC = ids(stream);
        long resumeAfter = onC.get(onC.size() / 2);
        ServerApi.Response resumed = a.call("GET", "/api/v1/events?follow=false&last_event_id=" + resumeAfter, null);
        assertThat(ids(resumed.body().lines().toList())).as("the stream resumed on a after an id seen on c")
                .startsWith(onC.subList(onC.size() / 2 + 1, onC.size()).toArray(Long[]::new));
    }

    @Test
    void everyNodeListsTheClusterAndWhichNodeHoldsEachAgent() throws Exception {
        rig.start("a", "b", "c");
        Fleet.AgentIdentity agent = rig.createAgent("held");
        URI nowhere = Fleet.nowhere();
        rig.startAgent(agent, List.of(nowhere, rig.node("c").url()));

        for (ClusterRig.Node node : rig.nodes()) {
            await("node " + node.name + " sees c holding the agent").atMost(Duration.ofSeconds(20)).until(() -> {
                JsonObject nodes = node.api().ok("GET", "/api/v1/cluster/nodes", null);
                Map<String, JsonObject> byName = byName(nodes.getJsonArray("nodes"));
                return nodes.getString("self").equals(node.name) && byName.keySet().equals(java.util.Set.of("a", "b", "c"))
                        && byName.values().stream().allMatch(n -> "alive".equals(n.getString("state")))
                        && byName.get("c").getInteger("agents") == 1
                        && byName.get("c").getString("advertise_url").equals(rig.node("c").url().toString())
                        && "c".equals(node.api().agent(agent.id()).getString("node"));
            });
        }
        Fleet.CliResult status = rig.cli(rig.node("b"), "cluster", "status");
        assertThat(status.exit()).as(status.output()).isZero();
        assertThat(status.output().lines().filter(line -> line.endsWith(" alive"))).hasSize(3);
        assertThat(status.output().lines().filter(line -> line.startsWith("*")).toList())
                .as("b marked as the node that answered, in:\n" + status.output()).singleElement()
                .asString().contains("b");
        assertThat(status.output().lines().filter(line -> line.contains(rig.node("c").url().toString())).toList())
                .singleElement().asString().contains(" 1 ");
    }

    @Test
    void anAgentRevokedThroughOneNodeIsDisconnectedByTheNodeHoldingItWithinOneSecond() throws Exception {
        rig.start("a", "b");
        ServerApi a = rig.node("a").api();
        Fleet.AgentIdentity agent = rig.createAgent("revoked");
        JavaProcess process = rig.startAgent(agent, rig.node("b").url());
        await("online through b").atMost(Duration.ofSeconds(20)).until(() ->
                "b".equals(a.agent(agent.id()).getString("node")));

        a.ok("POST", "/api/v1/agents/" + agent.id() + "/revoke", "{}");

        await("offline, seen on a").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(25))
                .until(() -> "offline".equals(a.status(agent.id())));
        process.awaitOutput("4002", Duration.ofSeconds(10));
    }

    @Test
    void killingOneOfThreeNodesUnderThreeHundredAgentsBringsEveryAgentBackThroughTheOthers() throws Exception {
        rig.start("a", "b", "c");
        URI balancer = rig.startLoadBalancer();
        ServerApi a = rig.node("a").api();
        List<Agent> agents = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 1; i <= 300; i++) {
                Fleet.AgentIdentity identity = rig.createAgent("fleet-" + i);
                ids.add(identity.id());
                agents.add(Agent.start(AgentConfig.builder().server(balancer)
                        .key(Files.readString(identity.keyFile()).strip()).stateDir(identity.stateDir())
                        .insecure(true).backoff(new Backoff(Duration.ofMillis(200), 2.0, Duration.ofSeconds(2)))
                        .build()));
            }
            Fleet.AgentIdentity stranded = rig.createAgent("stranded");
            rig.startAgent(stranded, rig.node("b").url());
            await("301 online").atMost(Duration.ofSeconds(60)).until(() -> holders(a).size() == 301);
            Map<String, String> before = holders(a);
            List<String> onB = before.entrySet().stream().filter(e -> e.getValue().equals("b")).map(Map.Entry::getKey)
                    .filter(id -> !id.equals(stranded.id())).toList();
            assertThat(onB).as("HAProxy spreads the agents, so b holds some").isNotEmpty();

            long killedAt = System.nanoTime();
            rig.node("b").process.kill9();

            await("the agent that can reach only b is offline once b's lease expires").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100)).until(() -> "offline".equals(a.status(stranded.id())));
            System.out.printf("cluster: the agent stranded on node b was offline %d ms after its kill -9%n",
                    (System.nanoTime() - killedAt) / 1_000_000);
            await("every agent online again through a or c").atMost(Duration.ofSeconds(30)
                    .minusNanos(System.nanoTime() - killedAt))
                    .pollInterval(Duration.ofMillis(250)).until(() -> {
                        Map<String, String> now = holders(a);
                        now.remove(stranded.id());
                        return now.size() == 300 && !now.containsValue("b");
                    });
            long recoveredMillis = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.printf("cluster: %d agents of node b re-homed within %d ms of its kill -9%n", onB.size(),
                    recoveredMillis);
        } finally {
            agents.parallelStream().forEach(Agent::close);
        }
    }

    @Test
    void aNodeStoppedWithSigtermIsNotReadyAndHandsItsAgentsToTheOthersBeforeItExits() throws Exception {
        rig.start("a", "b", "c");
        URI balancer = rig.startLoadBalancer();
        ServerApi b = rig.node("b").api();
        List<Agent> agents = new ArrayList<>();
        try {
            for (int i = 1; i <= 30; i++) {
                Fleet.AgentIdentity identity = rig.createAgent("drained-" + i);
                agents.add(Agent.start(AgentConfig.builder().server(balancer)
                        .key(Files.readString(identity.keyFile()).strip()).stateDir(identity.stateDir())
                        .insecure(true).backoff(new Backoff(Duration.ofMillis(200), 2.0, Duration.ofSeconds(2)))
                        .build()));
            }
            await("30 online").atMost(Duration.ofSeconds(30)).until(() -> holders(b).size() == 30);
            assertThat(holders(b)).as("HAProxy spreads the agents, so a holds some").containsValue("a");
            HttpClient http = HttpClient.newHttpClient();
            URI ready = rig.node("a").url().resolve("/readyz");

            Thread stopper = Thread.ofVirtual().start(() -> {
                try {
                    rig.node("a").process.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            await("a answers /readyz with 503 while it drains").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20)).until(() ->
                            http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
                                    .statusCode() == 503);
            stopper.join(Duration.ofSeconds(30));

            assertThat(rig.node("a").process.alive()).isFalse();
            await("every agent online through b or c").atMost(Duration.ofSeconds(30)).until(() -> {
                Map<String, String> now = holders(b);
                return now.size() == 30 && !now.containsValue("a");
            });
            assertThat(rig.node("a").process.output()).contains("draining: handing");
        } finally {
            agents.parallelStream().forEach(Agent::close);
        }
    }

    @Test
    void aThousandEventsArriveExactlyOnceWithOneNodeKilledAndAnotherStoppedAlongTheWay() throws Exception {
        rig.start("a", "b", "c");
        URI balancer = rig.startLoadBalancer();
        ServerApi a = rig.node("a").api();
        Fleet.AgentIdentity agent = rig.createAgent("streamer");
        JavaProcess publisher = rig.startPublisher(agent, balancer, 1, 1000, 10, 20);

        publisher.awaitOutput("published 300", Duration.ofSeconds(60));
        String first = awaitHolder(a, agent.id(), null);
        rig.node(first).process.kill9();
        publisher.awaitOutput("published 600", Duration.ofSeconds(60));
        ServerApi survivor = rig.nodes().stream().filter(n -> !n.name.equals(first)).findFirst().orElseThrow().api();
        String second = awaitHolder(survivor, agent.id(), first);
        rig.signal(second, "STOP");
        ClusterRig.Node third = rig.nodes().stream().filter(n -> !n.name.equals(first) && !n.name.equals(second))
                .findFirst().orElseThrow();
        awaitHolder(third.api(), agent.id(), second);
        publisher.awaitOutput("published 800", Duration.ofSeconds(60));
        rig.signal(second, "CONT");
        publisher.awaitOutput("publishing done 1000", Duration.ofSeconds(90));

        List<Long> ns = new ArrayList<>();
        await("1000 events applied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> third.api().events(agent.id(), "test.n").size() >= 1000);
        for (JsonObject event : third.api().events(agent.id(), "test.n")) {
            ns.add(event.getJsonObject("payload").getLong("n"));
        }
        assertThat(ns).hasSize(1000);
        for (int i = 0; i < ns.size(); i++) {
            if (ns.get(i) != i + 1) {
                throw new AssertionError("event " + (i + 1) + " applied as n=" + ns.get(i)
                        + " (lost, duplicated or reordered)");
            }
        }
        String resumed = second;
        await("the resumed node dropped its stale connection").atMost(Duration.ofSeconds(20)).until(() ->
                byName(rig.node(resumed).api().ok("GET", "/api/v1/cluster/nodes", null).getJsonArray("nodes"))
                        .get(resumed).getInteger("agents") == 0);
    }

    /** Waits until some node other than {@code notNode} holds the agent; returns its name. */
    private static String awaitHolder(ServerApi api, String agentId, String notNode) {
        String[] holder = new String[1];
        await("agent held by a node other than " + notNode).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    JsonObject agent = api.agent(agentId);
                    holder[0] = agent.getString("node");
                    return "online".equals(agent.getString("status")) && holder[0] != null
                            && !holder[0].equals(notNode);
                });
        return holder[0];
    }

    /** Agent id → node, for every online agent. */
    private static Map<String, String> holders(ServerApi api) throws Exception {
        Map<String, String> holders = new HashMap<>();
        for (Object o : api.ok("GET", "/api/v1/agents?limit=1000", null).getJsonArray("agents")) {
            JsonObject agent = (JsonObject) o;
            if ("online".equals(agent.getString("status")) && agent.getString("node") != null) {
                holders.put(agent.getString("id"), agent.getString("node"));
            }
        }
        return holders;
    }

    private static Map<String, JsonObject> byName(JsonArray nodes) {
        Map<String, JsonObject> byName = new HashMap<>();
        nodes.forEach(o -> byName.put(((JsonObject) o).getString("name"), (JsonObject) o));
        return byName;
    }

    /** Follows a node's event stream from its first event; its lines arrive in the returned list. */
    private static List<String> subscribe(URI node) {
        List<String> lines = new CopyOnWriteArrayList<>();
        HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                        node.resolve("/api/v1/events?follow=true&last_event_id=0"))
                        .header("Authorization", "Bearer " + Fleet.ADMIN_TOKEN).build(),
                HttpResponse.BodyHandlers.ofLines())
                .thenAccept(response -> response.body().forEach(lines::add));
        return lines;
    }

    /** The event ids in stream lines, in order. */
    private static List<Long> ids(List<String> lines) {
        return lines.stream().filter(line -> line.startsWith("id:")).map(line -> Long.parseLong(line.substring(3).strip()))
                .toList();
    }
}
