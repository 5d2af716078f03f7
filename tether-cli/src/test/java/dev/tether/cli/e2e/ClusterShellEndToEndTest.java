package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.cluster.NodeAuth;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Terminals across nodes, end to end: three real server processes on one PostgreSQL (embedded), HAProxy in
 * front of them, a real agent serving real PTYs with {@code /bin/sh}, and terminal clients opening shells
 * through a node that does not hold the agent. A holder is killed with SIGKILL as a machine dies.
 */
class ClusterShellEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Lines the failover test's loop prints, one every 20 ms: it runs through the kill and the failover. */
    private static final int LINES = 400;

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
    void aTerminalOpenedThroughOneNodeOnAnAgentHeldByAnotherSeesItsSizeAndEndsWithTheShellsExitCode()
            throws Exception {
        rig.start("a", "b", "c");
        Fleet.AgentIdentity agent = rig.createAgent("far");
        rig.startShellAgent(agent, rig.node("b").url());
        awaitHolder(agent, "b");

        ServerApi.Response plain = rig.node("a").api().call("GET", "/api/v1/agents/" + agent.id() + "/shell", null);
        assertThat(plain.status()).as("without the upgrade, b's answer: " + plain.body()).isEqualTo(400);
        assertThat(plain.json().getString("error")).isEqualTo("upgrade_required");

        TerminalClient client = TerminalClient.open(rig.node("a").url(), Fleet.ADMIN_TOKEN, agent.id(),
                "rows=30&cols=100");
        client.awaitControl("ready", WAIT);
        client.type("stty size\r");
        client.awaitOutput("30 100", WAIT);
        client.resize(40, 120);
        client.type("stty size\r");
        client.awaitOutput("40 120", WAIT);
        client.type("exit 3\r");

        assertThat(client.awaitControl("exit", WAIT).getInteger("exit_code")).isEqualTo(3);
        assertThat(client.closed().get(10, TimeUnit.SECONDS)).isEqualTo(1000);
        String session = client.control("ready").getString("session");
        await("the session's row completed by b").atMost(WAIT).until(() -> Integer.valueOf(3).equals(rig.node("c")
                .api().ok("GET", "/api/v1/sessions/" + session, null).getInteger("exit_code")));
        assertThat(rig.node("c").api().ok("GET", "/api/v1/audit?action=shell.session", null).encode())
                .as("audited on b with the user's address and the relaying node").contains(session).contains("via node a");
    }

    @Test
    void nodeLinksWithoutTheClusterSecretAreRefusedWith401() throws Exception {
        rig.start("a", "b");
        Fleet.AgentIdentity agent = rig.createAgent("far");
        rig.startShellAgent(agent, rig.node("b").url());
        awaitHolder(agent, "b");
        String path = "/v1/cluster/shell/" + agent.id() + "?rows=24&cols=80";
        NodeAuth.Caller caller = new NodeAuth.Caller("a", "admin", true, "127.0.0.1:1");
        NodeAuth wrong = NodeAuth.of("not-the-cluster-secret-but-long-enough-0123456789");

        assertThat(nodeRequest(path, Map.of()).statusCode()).as("unsigned").isEqualTo(401);
        HttpResponse<String> forged = nodeRequest(path, wrong.sign(caller, path, System.currentTimeMillis()));
        assertThat(forged.statusCode()).as("signed with another secret").isEqualTo(401);
        assertThat(new JsonObject(forged.body()).getString("message")).contains("--cluster-secret-file");
    }

    @Test
    void withoutAClusterSecretATerminalToAnAgentHeldByAnotherNodeIsRefusedWithWhatToConfigure() throws Exception {
        rig.startWithoutSecret("a", "b");
        Fleet.AgentIdentity agent = rig.createAgent("far");
        rig.startShellAgent(agent, rig.node("b").url());
        awaitHolder(agent, "b");

        ServerApi.Response refused = rig.node("a").api().call("GET", "/api/v1/agents/" + agent.id() + "/shell", null);

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().getString("message")).isEqualTo("agent far is connected through node b; configure "
                + "--cluster-secret-file on every node to relay terminals, or connect to b");
    }

    @Test
    void killingTheNodeHoldingTheAgentMidOutputContinuesTheSameShellThroughAnotherNodeWithNoByteLostOrRepeated()
            throws Exception {
        rig.start("a", "b", "c");
        URI balancer = rig.startLoadBalancer();
        Fleet.AgentIdentity agent = rig.createAgent("roamer");
        rig.startShellAgent(agent, balancer);
        String holder = awaitHolder(agent, null);
        String via = rig.nodes().stream().map(node -> node.name).filter(name -> !name.equals(holder)).findFirst()
                .orElseThrow();
        TerminalClient client = TerminalClient.open(rig.node(via).url(), Fleet.ADMIN_TOKEN, agent.id(),
                "rows=24&cols=200");
        long pid = client.awaitControl("ready", WAIT).getLong("pid");
        client.type("echo pid=$$\r");
        client.awaitOutput("pid=" + pid + "\r\n", WAIT);

        client.type("i=0; while [ $i -lt " + LINES + " ]; do i=$((i+1)); echo n=$i; sleep 0.02; done; echo loop-$((6*7))\r");
        client.awaitOutput("n=100\r\n", WAIT);
        rig.kill(holder);
        client.awaitControl("status", Duration.ofSeconds(5));
        await("the relay resumed through another node").atMost(Duration.ofSeconds(30))
                .until(() -> "reconnected".equals(client.control("status").getString("agent")));
        assertThat(rig.node(via).api().agent(agent.id()).getString("node")).isNotEqualTo(holder);

        client.awaitOutput("loop-42", Duration.ofSeconds(60));
        client.type("echo again-pid=$$\r");
        client.awaitOutput("again-pid=" + pid + "\r\n", WAIT);
        assertThat(numbers(client.tail())).as("every line once, in order")
                .isEqualTo(LongStream.rangeClosed(1, LINES).boxed().toList());
        assertThat(client.controls().stream().map(this::describe).toList()).as("what the client was told")
                .containsExactly("ready", "status:disconnected", "status:reconnected");
        client.type("exit 0\r");
        assertThat(client.awaitControl("exit", WAIT).getInteger("exit_code")).isZero();
    }

    @Test
    void aClientThatStopsReadingThroughAnotherNodeStallsTheRemoteProgramUntilItReadsAgain() throws Exception {
        rig.start("a", "b");
        Fleet.AgentIdentity agent = rig.createAgent("far");
        rig.startShellAgent(agent, rig.node("b").url());
        awaitHolder(agent, "b");
        TerminalClient client = TerminalClient.open(rig.node("a").url(), Fleet.ADMIN_TOKEN, agent.id(), "");
        client.awaitControl("ready", WAIT);
        Path count = dir.resolve("count");

        client.readSlowly(true);
        client.type("i=0; while :; do i=$((i+1)); echo $i > " + count + "; printf '%0500d\\n' $i; done\r");

        long stalled = awaitStalled(count);
        client.readSlowly(false);
        await("the program writes again once the client reads").atMost(WAIT)
                .until(() -> counted(count) > stalled + 1000);
        client.type("\u0003exit 0\r");
        assertThat(client.awaitControl("exit", WAIT).getInteger("exit_code")).isZero();
    }

    /** Waits until the loop's count is the same one second apart: its writes to the terminal block. */
    private static long awaitStalled(Path count) {
        long[] last = {-1};
        await("the program blocked on its terminal").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    long now = counted(count);
                    boolean same = now > 0 && now == last[0];
                    last[0] = now;
                    return same;
                });
        return last[0];
    }

    private static long counted(Path count) {
        try {
            String text = Files.readString(count).trim();
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Waits until a node holds the agent ({@code expected}, or any when null); returns its name. */
    private String awaitHolder(Fleet.AgentIdentity agent, String expected) {
        ServerApi api = rig.nodes().get(0).api();
        await("agent held" + (expected == null ? "" : " by " + expected)).atMost(WAIT).until(() -> {
            String node = api.agent(agent.id()).getString("node");
            return node != null && (expected == null || expected.equals(node));
        });
        try {
            return api.agent(agent.id()).getString("node");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private HttpResponse<String> nodeRequest(String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(rig.node("b").url().resolve(path));
        headers.forEach(request::header);
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String describe(JsonObject control) {
        String type = control.getString("type");
        return "status".equals(type) ? type + ":" + control.getString("agent") : type;
    }

    /** The numbers of the {@code n=N} lines in the output, in order. */
    private static List<Long> numbers(String output) {
        List<Long> numbers = new ArrayList<>();
        Matcher line = Pattern.compile("(?<![^\\n])n=(\\d+)\\r\\n").matcher(output);
        while (line.find()) {
            numbers.add(Long.parseLong(line.group(1)));
        }
        return numbers;
    }
}
