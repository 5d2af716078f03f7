package dev.tether.cli.ui;

import dev.tether.server.ui.WebAssets;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven through its chromedriver, as the browser
 * tests use it: a fresh profile each time, a 1440x900 window, screenshots
 * under {@code target/screenshots}. Not thread safe.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Dimension SCREEN = new Dimension(1440, 900);
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /**
     * Why the browser tests cannot run here, or null when they can. Under {@code CI=true} a missing
     * browser (or UI) is a failure (.ci/run installs it through .ci/install-test-tools), elsewhere a skip.
     */
    static String missing() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            return "Debian's chromium and chromium-driver are not installed (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): apt-get install chromium chromium-driver, or run .ci/install-test-tools";
        }
        if (!WebAssets.load(Browser.class.getClassLoader()).present()) {
            return "the web UI was not built (no Node.js 20.19+ with npm on the build machine, or -DskipWeb): "
                    + "install them and build again";
        }
        return null;
    }

    static Browser start(Path logDir) throws IOException {
        Path profile = Files.createTempDirectory("tether-chromium-");
        Files.createDirectories(logDir);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=" + SCREEN.width + "," + SCREEN.height,
                "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .withLogFile(logDir.resolve("chromedriver.log").toFile())
                .build();
        Browser browser = new Browser(new ChromeDriver(service, options), profile);
        browser.resize(SCREEN);
        return browser;
    }

    WebDriver driver() {
        return driver;
    }

    void open(String url) {
        driver.get(url);
    }

    WebElement find(String css) {
        return until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        }, "visible " + css);
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    boolean present(String css) {
        return !driver.findElements(By.cssSelector(css)).isEmpty();
    }

    /** Waits until {@code condition} returns non-null and non-false; fails naming {@code what}. */
    <T> T until(Function<WebDriver, T> condition, String what) {
        // The UI re-renders as events arrive: an element found a moment ago may be gone; look again.
        try {
            return new WebDriverWait(driver, WAIT).withMessage(what).ignoring(StaleElementReferenceException.class)
                    .until(condition::apply);
        } catch (TimeoutException e) {
            try {
                screenshot("failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
            } catch (IOException | RuntimeException ignored) {
                // The timeout is what matters.
            }
            throw e;
        }
    }

    /** Waits until the text of {@code css} satisfies {@code test}; returns it. */
    String textUntil(String css, java.util.function.Predicate<String> test, String what) {
        return until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            String text = found.isEmpty() ? null : found.get(0).getText();
            return text != null && test.test(text) ? text : null;
        }, what);
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** Makes the page's viewport (not the window around it) this size, as the screenshots are. */
    void resize(Dimension viewport) {
        driver.manage().window().setSize(viewport);
        @SuppressWarnings("unchecked")
        List<Long> inner = (List<Long>) script("return [window.innerWidth, window.innerHeight]");
        int width = viewport.width + (viewport.width - inner.get(0).intValue());
        int height = viewport.height + (viewport.height - inner.get(1).intValue());
        if (width != viewport.width || height != viewport.height) {
            driver.manage().window().setSize(new Dimension(width, height));
        }
    }

    /** Follows the system's dark or light setting the way a user's desktop would. */
    void colorScheme(String scheme) {
        driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
    }

    /** Saves the window as {@code target/screenshots/NAME.png}. */
    Path screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Path file = SCREENSHOTS.resolve(name + ".png");
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
