package dev.tether.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.cli.e2e.BrowserTestFleet;
import dev.tether.server.testing.RequiredTool;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The web UI in a real browser (headless Chromium) against a real server and
 * real agent processes, one operator's session from sign-in to sign-out: the
 * fleet turning online and offline live, an agent's page, a terminal in the
 * browser, a command on two agents, the recorded session played back, the
 * audit log. Each step saves a 1440x900 screenshot under target/screenshots.
 *
 * <p>The steps share the server and the agents, but each has a browser of its
 * own and sets up what it needs (signs in, starts or stops agents, records its
 * own session), so they run in a random order. Skipped with a message where Chromium is not installed, except under
 * {@code CI=true}, where that fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.Random.class)
class WebUiTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TERMINAL = ".pane:not([hidden])";
    /** The player's idleTimeLimit (src/main/web/src/views/sessions.js): longer pauses are cut to it. */
    private static final double PLAYER_IDLE_LIMIT_S = 2;
    private static final String[] SHELL = {"--enable-shell", "--shell", "/bin/bash"};
    private static final Pattern STTY_SIZE = Pattern.compile("(?m)^(\\d+) (\\d+)\\s*$");

    private Path dir;
    private BrowserTestFleet fleet;
    private BrowserTestFleet.Agent web1;
    private BrowserTestFleet.Agent web2;
    private Browser browser;
    private String base;

    @BeforeAll
    void start() throws Exception {
        String missing = Browser.missing();
        RequiredTool.require(missing == null, "WebUiTest", missing);
        dir = Files.createTempDirectory("tether-webui-");
        fleet = BrowserTestFleet.start(dir, "WebUiTest", "1s");
        base = fleet.url().toString();
        web1 = fleet.createAgent("web-1", Map.of("env", "prod", "role", "web"));
        web2 = fleet.createAgent("web-2", Map.of("env", "staging", "role", "web"));
        fleet.createAgent("db-1", Map.of("env", "prod", "role", "db"));
    }

    /** A browser of its own for each test: no cookie, storage or open connection carries over. */
    @BeforeEach
    void openBrowser(TestInfo test) throws Exception {
        browser = Browser.start(Path.of("target", "e2e-logs", "WebUiTest", test.getTestMethod().orElseThrow()
                .getName()));
    }

    @AfterEach
    void closeBrowser() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void signInWithTheAdminTokenKeepsItInAnHttpOnlyStrictCookie() throws Exception {
        signInPage();
        browser.find("#token");
        browser.screenshot("01-sign-in");

        browser.find("#token").sendKeys("tat_not-the-admin-token-000000");
        browser.find(".signin-form button[type=submit]").click();
        assertThat(browser.textUntil(".form-error", text -> !text.isBlank(), "sign-in error"))
                .contains("not an admin token");

        WebElement token = browser.find("#token");
        token.clear();
        token.sendKeys(BrowserTestFleet.ADMIN_TOKEN, Keys.ENTER);
        browser.find("tr[data-agent-name='db-1']");

        Cookie cookie = browser.driver().manage().getCookieNamed("tether_session");
        assertThat(cookie).isNotNull();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Strict");
        assertThat((String) browser.script("return document.cookie")).doesNotContain("tether_session");
        assertThat(browser.driver().getCurrentUrl()).endsWith("/agents");
    }

    @Test
    void startedAgentsTurnOnlineWithoutAReload() throws Exception {
        web1.ensureOffline();
        web2.ensureOffline();
        signInAsAdmin();
        browser.script("window.tetherNoReload = true");
        awaitStatus("web-1", "offline");

        web1.start(SHELL);
        web2.start();

        awaitStatus("web-1", "online");
        awaitStatus("web-2", "online");
        assertThat(browser.script("return window.tetherNoReload")).isEqualTo(true);
        assertCountsMatchTheServer();
        WebElement row = browser.find("tr[data-agent-name='web-1']");
        assertThat(row.getText()).contains("env=prod").contains("role=web");
        browser.textUntil("tr[data-agent-name='web-1']", text -> text.contains("Linux"), "reported OS of web-1");
        String node = fleet.api("GET", "/api/v1/cluster/nodes", null).getString("self");
        browser.textUntil("tr[data-agent-name='web-1'] td[data-field=node]", node::equals, "the node holding web-1");

        browser.find("input[type=search]").sendKeys("WEB-2");
        browser.until(d -> browser.all("tbody tr").size() == 1, "search narrows to web-2");
        assertThat(browser.find("tbody tr").getAttribute("data-agent-name")).isEqualTo("web-2");
        browser.find("input[type=search]").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        int agents = agents().size();
        browser.until(d -> browser.all("tbody tr").size() == agents, "all agents again");
        browser.screenshot("02-agents");
        browser.colorScheme("dark");
        browser.screenshot("02-agents-dark");
        browser.colorScheme("light");
        browser.resize(new Dimension(390, 844));
        browser.until(d -> browser.find(".counts").getSize().width < 390, "the narrow layout");
        browser.screenshot("02-agents-narrow");
        browser.resize(Browser.SCREEN);
    }

    @Test
    void agentPageShowsItsFactsAndChartsAndSaysWhyATerminalIsUnavailable() throws Exception {
        web1.ensureOnline(SHELL);
        web2.ensureOnline();
        signInAsAdmin();
        browser.find("tr[data-agent-name='web-2'] .name a").click();
        WebElement terminal = browser.find("[data-action=open-terminal]");
        assertThat(terminal.isEnabled()).isFalse();
        assertThat(browser.find("#shell-reason").getText()).contains("--enable-shell");

        browser.open(base + "/agents/db-1");
        assertThat(browser.find("#shell-reason").getText()).contains("offline");

        browser.open(base + "/agents/web-1");
        browser.until(d -> browser.find("[data-action=open-terminal]").isEnabled(), "terminal button enabled");
        browser.textUntil(".card", text -> text.contains(web1.id()), "facts with the agent id");
        assertThat(browser.find(".cards").getText()).contains("shell").contains("env=prod");
        browser.until(d -> browser.all(".chart").size() == 4, "four charts");
        browser.textUntil(".chart[data-metric=CPU] .chart-value", text -> text.endsWith("%"), "a CPU value");
        browser.textUntil(".events", text -> !text.isBlank(), "recent events");
        browser.screenshot("03-agent");

        WebElement config = browser.find("textarea[aria-label='Configuration (JSON)']");
        config.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        config.sendKeys("{\"backup\": {\"every\": \"6h\"}}");
        browser.find(".config-form button[type=submit]").click();
        browser.textUntil("#config-status", text -> text.contains("Version 1") && text.contains("applied")
                && !text.contains("pending"), "version 1 applied by the agent");
        assertThat(fleet.api("GET", "/api/v1/agents/web-1/config", null).getJsonObject("config").encode())
                .isEqualTo("{\"backup\":{\"every\":\"6h\"}}");
        browser.script("document.querySelector('#card-configuration').scrollIntoView()");
        browser.screenshot("03-agent-config");
        browser.script("window.scrollTo(0, 0)");
    }

    @Test
    void terminalRunsCommandsAndFollowsTheWindowSize() throws Exception {
        web1.ensureOnline(SHELL);
        signInAsAdmin();
        browser.open(base + "/agents/web-1");
        browser.until(d -> browser.find("[data-action=open-terminal]").isEnabled(), "terminal button enabled");
        browser.find("[data-action=open-terminal]").click();
        browser.until(d -> d.getCurrentUrl().endsWith("/terminals"), "terminals page");
        browser.textUntil(TERMINAL + " .session-id", text -> text.contains("session"), "session ready");

        type("echo hello-$((6 * 7))");
        browser.until(d -> Pattern.compile("(?m)^hello-42\\s*$").matcher(screen()).find(),
                "hello-42 printed by the remote shell");

        int[] before = sttySize();
        browser.resize(new Dimension(1000, 640));
        browser.until(d -> {
            int[] now = sttySize();
            return now[0] != before[0] && now[1] != before[1] ? now : null;
        }, "stty size follows the smaller window");
        browser.resize(Browser.SCREEN);
        browser.until(d -> {
            int[] now = sttySize();
            return now[0] == before[0] && now[1] == before[1] ? now : null;
        }, "stty size follows the window back");
        type("clear");
        type("uname -sr");
        type("ls -la --color=always /usr | head -12");
        browser.until(d -> screen().contains("total"), "ls output");

        // A second tab on the same agent, opened after moving around the UI: the first keeps its session.
        String first = browser.find(TERMINAL + " .session-id").getText();
        browser.find("a.nav-link[href='/agents']").click();
        browser.find("tr[data-agent-name='web-1'] .name a").click();
        browser.until(d -> browser.find("[data-action=open-terminal]").isEnabled(), "terminal button enabled");
        browser.find("[data-action=open-terminal]").click();
        browser.until(d -> browser.all(".tab").size() == 2, "a second tab");
        browser.textUntil(TERMINAL + " .session-id", text -> text.contains("session") && !text.equals(first),
                "the second session ready");
        type("echo second-$((6 * 7))");
        browser.until(d -> screen().contains("second-42"), "the second tab's own output");
        browser.all(".tab").get(0).click();
        browser.textUntil(TERMINAL + " .session-id", text -> text.equals(first), "the first tab again");
        assertThat(screen()).contains("total").doesNotContain("second-42");
        browser.screenshot("04-terminal");
        browser.colorScheme("dark");
        browser.screenshot("04-terminal-dark");
        browser.colorScheme("light");
        browser.all(".tab-close").get(1).click();
        browser.until(d -> browser.all(".tab").size() == 1, "the second tab closed");

        // A reload drops the socket: the tab comes back attached to the same session, its scrollback replayed.
        String session = browser.find(TERMINAL + " .session-id").getText();
        browser.driver().navigate().refresh();
        browser.textUntil(TERMINAL + " .session-id", text -> text.equals(session), "the same session re-attached");
        browser.until(d -> screen().contains("total") && screen().contains("uname -sr"), "the scrollback replayed");

        type("exit 3");
        assertThat(browser.textUntil(TERMINAL + " .banner", text -> text.contains("exit code"), "the exit banner"))
                .contains("Session ended with exit code 3");
        assertThat(browser.find(".tab").getAttribute("data-state")).isEqualTo("ended");
    }

    @Test
    void commandOnTwoAgentsStreamsBothOutputsWithTheirExitCodes() throws Exception {
        web1.ensureOnline(SHELL);
        web2.ensureOnline();
        signInAsAdmin();
        browser.open(base + "/run");
        browser.find(".pick[data-name='web-1'] input").click();
        browser.find(".pick[data-name='web-2'] input").click();
        browser.find("#command").sendKeys("echo \"job $TETHER_JOB_ID\"; echo warning >&2; exit 3");
        browser.find(".run-form button[type=submit]").click();

        for (String agent : List.of("web-1", "web-2")) {
            String card = ".job[data-agent='" + agent + "']";
            browser.until(d -> "failed".equals(browser.find(card).getAttribute("data-state")), agent + " failed");
            String job = browser.find(card).getAttribute("data-job");
            browser.textUntil(card + " .job-output", text -> text.contains("job " + job) && text.contains("warning"),
                    agent + "'s own output");
            assertThat(browser.find(card + " .job-exit").getText()).contains("exit 3");
        }
        browser.textUntil(".run-summary", text -> text.startsWith("2 of 2 done"), "summary");
        assertThat(browser.find(".run-head button").isEnabled()).as("cancel once all ended").isFalse();
        browser.screenshot("05-run");
    }

    @Test
    void stoppedAgentTurnsOfflineWithoutAReload() throws Exception {
        web2.ensureOnline();
        signInAsAdmin();
        browser.script("window.tetherNoReload = true");
        awaitStatus("web-2", "online");

        web2.stop();

        awaitStatus("web-2", "offline");
        browser.textUntil("tr[data-agent-name='web-2'] td[data-field=node]", "—"::equals, "no node holds web-2");
        assertThat(browser.script("return window.tetherNoReload")).isEqualTo(true);
        assertCountsMatchTheServer();
    }

    /**
     * One tab, many full page loads, as a user opening links and reloading does. A page left for another may sit
     * in the browser's back/forward cache, and its event stream kept one of the six connections the browser
     * allows per server: after a few loads the next page's requests waited forever (the 6th to the 24th load
     * hung). The streams now close when the page is left.
     */
    @Test
    void aTabLoadedFortyTimesOverKeepsLoading() throws Exception {
        web1.ensureOnline(SHELL);
        signInAsAdmin();
        browser.driver().manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15));

        for (int load = 1; load <= 40; load++) {
            boolean agentPage = load % 2 == 1;
            try {
                browser.open(base + (agentPage ? "/agents/web-1" : "/agents"));
            } catch (org.openqa.selenium.TimeoutException e) {
                throw new AssertionError("load " + load + " of 40 did not complete within 15 s", e);
            }
            if (agentPage) {
                browser.until(d -> browser.all(".chart").size() == 4, "four charts, load " + load);
            } else {
                browser.find("tr[data-agent-name='web-1']");
            }
        }
    }

    @Test
    void recordedSessionPlaysBackWithPauseSeekAndSpeed() throws Exception {
        web1.ensureOnline(SHELL);
        String hello = "hello-" + (1000 + new java.util.Random().nextInt(9000));
        String sessionId = fleet.recordShellSession(web1, "echo hello-$((" + hello.substring(6) + "))", "sleep 1",
                "clear", "ls -la --color=always /usr | head -12");
        signInAsAdmin();
        browser.find("a.nav-link[href='/sessions']").click();
        WebElement row = browser.find("tr[data-session='" + sessionId + "']");
        assertThat(row.getText()).contains("the program exiting");
        browser.screenshot("06-sessions");
        row.findElement(By.cssSelector("a.btn")).click();

        browser.textUntil(".clock", text -> !text.endsWith("/ 0:00"), "the recording loaded");
        browser.find("[data-action=play]").click();
        browser.textUntil(".clock", text -> !text.startsWith("0:00 /"), "the clock runs");
        browser.find("[data-action=play]").click();
        browser.until(d -> "false".equals(browser.find("[data-action=play]").getAttribute("data-playing")), "paused");
        // The hello line is on screen only until the next clear: seek to just after it was printed.
        double at = Recording.outputTime(fleet.text("/api/v1/sessions/" + sessionId + "/recording"), hello,
                PLAYER_IDLE_LIMIT_S) + 0.05;
        browser.script("const seek = document.querySelector('.seek'); seek.value = String(arguments[0]);"
                + " seek.dispatchEvent(new Event('input'));", at);
        browser.textUntil(".player-stage", text -> text.contains(hello), "the frame after seeking shows " + hello);
        new org.openqa.selenium.support.ui.Select(browser.find("select[aria-label='Playback speed']")).selectByValue("4");
        browser.find("[data-action=play]").click();
        browser.textUntil(".player-stage", text -> text.contains("total"), "the replay at 4x reaches the ls output");
        browser.until(d -> "false".equals(browser.find("[data-action=play]").getAttribute("data-playing")), "ended");
        browser.screenshot("07-player");
    }

    @Test
    void auditLogListsTheSignInAndTheShellSession() throws Exception {
        web1.ensureOnline(SHELL);
        fleet.recordShellSession(web1, "true");
        signInPage();
        browser.find("#token").sendKeys("tat_not-the-admin-token-000000", Keys.ENTER);
        browser.textUntil(".form-error", text -> !text.isBlank(), "sign-in error");
        signInAsAdmin();
        browser.find("a.nav-link[href='/audit']").click();
        browser.textUntil(".audit-table", text -> text.contains("auth.sign_in") && text.contains("shell.session")
                && text.contains("auth.sign_in_failed"), "audit entries");
        browser.screenshot("08-audit");
        browser.find("#audit-action").sendKeys("shell.session", Keys.ENTER);
        browser.until(d -> !browser.all(".audit-table tbody tr").isEmpty() && browser.all(".audit-table tbody tr")
                .stream().allMatch(row -> row.getText().contains("shell.session")), "filtered to shell sessions");
    }

    /**
     * More agents than the table's page (100): it shows one page and a Load more button, and its search, status
     * and label filters are the server's (an agent on no page loaded yet is found). The Run page's picker still
     * offers every agent. The extra agents sort after the others and are deleted at the end, so the other steps
     * see the small fleet.
     */
    @Test
    void theAgentsTableLoadsAPageAtATimeAndFiltersOnTheServer() throws Exception {
        web1.ensureOnline(SHELL);
        List<String> extra = new ArrayList<>();
        try {
            for (int i = 0; i < 150; i++) {
                extra.add(fleet.api("POST", "/api/v1/agents", new JsonObject().put("name", "zz-page-%03d".formatted(i))
                        .put("labels", new JsonObject().put("batch", "paging")).encode()).getString("id"));
            }
            int total = agents().size();
            List<String> firstPage = fleet.api("GET", "/api/v1/agents?limit=100", null).getJsonArray("agents")
                    .stream().map(agent -> ((JsonObject) agent).getString("name")).toList();
            signInAsAdmin();
            browser.until(d -> rowNames().equals(firstPage), "the first 100 agents in name order");
            assertThat(browser.present("tr[data-agent-name='zz-page-149']")).isFalse();
            assertThat(browser.find("[data-count=all] .count-value").getText()).isEqualTo("100+");
            browser.screenshot("10-agents-paged");

            browser.find("[data-more]").click();
            browser.until(d -> rowNames().size() == total, "every agent after Load more");
            browser.find("tr[data-agent-name='zz-page-149']");
            assertThat(loadMoreShown()).as("no Load more on the last page").isFalse();
            assertCountsMatchTheServer();

            browser.open(base + "/agents");
            browser.until(d -> rowNames().size() == 100, "the first page again");
            browser.find("input[type=search]").sendKeys("PAGE-14");
            browser.until(d -> rowNames().equals(IntStream.range(140, 150).mapToObj("zz-page-%03d"::formatted)
                    .toList()), "the server's matches for page-14, none of them loaded before");
            assertThat(loadMoreShown()).as("one page of matches, no Load more").isFalse();
            browser.find("input[type=search]").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
            browser.until(d -> rowNames().size() == 100, "the first page without the search");

            browser.script("document.querySelector('.toolbar input[name=status][value=online]').click()");
            List<String> online = agents().stream().filter(agent -> "online".equals(agent.getString("status")))
                    .map(agent -> agent.getString("name")).sorted().toList();
            assertThat(online).contains("web-1");
            browser.until(d -> rowNames().equals(online), "the online agents only");
            assertThat(browser.driver().getCurrentUrl()).contains("status=online");

            browser.script("document.querySelector('.toolbar input[name=status][value=all]').click()");
            browser.until(d -> rowNames().equals(firstPage), "the first page of every agent again");
            new org.openqa.selenium.support.ui.Select(browser.find("select[aria-label='Filter by label']"))
                    .selectByValue("batch=paging");
            browser.until(d -> rowNames().equals(IntStream.range(0, 100).mapToObj("zz-page-%03d"::formatted)
                    .toList()), "the first page of batch=paging");
            browser.find("[data-more]").click();
            browser.until(d -> rowNames().size() == 150 && rowNames().stream().allMatch(n -> n.startsWith("zz-page-")),
                    "all of batch=paging");

            browser.open(base + "/run");
            long unrevoked = agents().stream().filter(agent -> !agent.getBoolean("revoked")).count();
            browser.until(d -> browser.all(".agent-picks .pick").size() == unrevoked,
                    "every agent not revoked to pick from, past the first page");
            browser.find(".pick[data-name='zz-page-149']");
        } finally {
            for (String id : extra) {
                fleet.api("POST", "/api/v1/agents/" + id + "/revoke", "{}");
                fleet.api("DELETE", "/api/v1/agents/" + id, null);
            }
        }
    }

    private boolean loadMoreShown() {
        return browser.all("[data-more]").stream().anyMatch(WebElement::isDisplayed);
    }

    /** The names in the agents table, top to bottom, read in one go (the table re-renders on events). */
    @SuppressWarnings("unchecked")
    private List<String> rowNames() {
        return (List<String>) browser.script("return [...document.querySelectorAll('tbody tr')]"
                + ".map((row) => row.dataset.agentName)");
    }

    @Test
    void revokingAnAgentAsksForItsNameFirst() throws Exception {
        fleet.createAgent("retired-1", Map.of("env", "test"));
        signInAsAdmin();
        browser.open(base + "/agents/retired-1");
        browser.find(".agent-actions .btn.danger").click();
        WebElement confirm = browser.find("dialog[open] button[type=submit]");
        assertThat(confirm.isEnabled()).isFalse();
        browser.find("#revoke-confirm").sendKeys("retired-1");
        browser.until(d -> confirm.isEnabled(), "confirm enabled by the name");
        browser.screenshot("09-revoke");
        confirm.click();

        browser.textUntil(".page-head .pill", text -> text.equals("revoked"), "retired-1 revoked");
        assertThat(fleet.api("GET", "/api/v1/agents/retired-1", null).getBoolean("revoked")).isTrue();
        assertThat(browser.present(".agent-actions .btn.danger")).isFalse();
    }

    @Test
    void signOutEndsTheSessionForGood() throws Exception {
        signInAsAdmin();
        String cookie = browser.driver().manage().getCookieNamed("tether_session").getValue();
        Object forged = ((org.openqa.selenium.JavascriptExecutor) browser.driver()).executeAsyncScript(
                "const done = arguments[0]; fetch('/api/v1/agents/web-1/revoke', {method: 'POST'})"
                        + ".then(r => done(r.status), e => done(String(e)));");
        assertThat(forged).as("a POST without the CSRF token").isEqualTo(403L);

        browser.find(".topbar button").click();
        browser.find("#token");
        assertThat(browser.find(".signin-message").getText()).contains("signed out");

        HttpResponse<String> reused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(base + "/api/v1/agents")).header("Cookie", "tether_session=" + cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(reused.statusCode()).isEqualTo(401);
        assertThat(fleet.api("GET", "/api/v1/agents/web-1", null).getBoolean("revoked")).isFalse();
    }

    @Test
    void aViewerSignsInWithAPasswordAndIsToldWhatTheirRoleCannotDo() throws Exception {
        web1.ensureOnline(SHELL);
        fleet.api("POST", "/api/v1/users", "{\"name\":\"vera\",\"role\":\"viewer\","
                + "\"password\":\"correct-horse-battery\"}");
        signInPage();
        browser.find(".signin-modes");
        // The radio sits invisibly over its label, as a mouse user clicks it.
        browser.script("document.querySelector('.signin-modes input[value=user]').click()");
        browser.find("#user").sendKeys("vera");
        browser.find("#password").sendKeys("correct-horse-battery", Keys.ENTER);

        assertThat(browser.textUntil(".who", text -> text.contains("vera"), "signed in as vera")).containsIgnoringCase("viewer");
        browser.open(base + "/agents/web-1");
        assertThat(browser.find("#shell-reason").getText()).contains("viewer");
        assertThat(browser.find("[data-action=open-terminal]").isEnabled()).isFalse();
        assertThat(browser.present(".agent-actions .btn.danger")).as("no revoke for a viewer").isFalse();
    }

    /** The sign-in page as a new visitor sees it: no session cookie, nothing remembered (the last mode). */
    private void signInPage() {
        browser.driver().manage().deleteAllCookies();
        browser.open(base + "/agents");
    }

    /** A new browser session signed in with the admin token, on the agents page. */
    private void signInAsAdmin() {
        signInPage();
        browser.find("#token").sendKeys(BrowserTestFleet.ADMIN_TOKEN, Keys.ENTER);
        browser.find("tr[data-agent-name='web-1']");
    }

    private List<JsonObject> agents() throws Exception {
        return fleet.api("GET", "/api/v1/agents?limit=1000", null).getJsonArray("agents").stream()
                .map(JsonObject.class::cast).toList();
    }

    /** The online, offline and total counts on the agents page are the server's. */
    private void assertCountsMatchTheServer() throws Exception {
        List<JsonObject> agents = agents();
        long online = agents.stream().filter(agent -> "online".equals(agent.getString("status"))).count();
        browser.textUntil("[data-count=online] .count-value", String.valueOf(online)::equals, "online count");
        browser.textUntil("[data-count=offline] .count-value", String.valueOf(agents.size() - online)::equals,
                "offline count");
        browser.textUntil("[data-count=all] .count-value", String.valueOf(agents.size())::equals, "total");
    }

    /** Read in one go: the table re-renders whenever an event arrives. */
    private String status(String agent) {
        browser.find("tr[data-agent-name='" + agent + "']");
        return (String) browser.script("const row = document.querySelector(`tr[data-agent-name='${arguments[0]}']`);"
                + " return row ? row.dataset.status : null;", agent);
    }

    private void awaitStatus(String agent, String status) {
        browser.until(d -> status.equals(status(agent)), agent + " " + status);
    }

    private void type(String line) {
        WebElement input = browser.driver().findElement(By.cssSelector(TERMINAL + " .xterm-helper-textarea"));
        input.sendKeys(line + "\n");
    }

    private String screen() {
        return browser.driver().findElement(By.cssSelector(TERMINAL + " .xterm-rows")).getText();
    }

    /** Types {@code stty size} and reads the answer printed after it. */
    private int[] sttySize() {
        String marker = "size-" + System.nanoTime();
        type("clear; stty size; echo " + marker);
        return browser.until(d -> {
            String text = screen();
            int end = text.lastIndexOf("\n" + marker);
            if (end < 0) {
                return null;
            }
            Matcher matcher = STTY_SIZE.matcher(text.substring(0, end + 1));
            int[] size = null;
            while (matcher.find()) {
                size = new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2))};
            }
            return size;
        }, "stty size answer");
    }
}
