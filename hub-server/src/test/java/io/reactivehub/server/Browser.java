package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Chromium driven through the system's chromedriver (Debian packages {@code chromium} and
 * {@code chromium-driver}), so Selenium downloads nothing. Tests call {@link #assumeAvailable()}:
 * without the browser they are skipped, unless {@code HUB_REQUIRE_BROWSER=true} (CI), then they fail.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    static void assumeAvailable() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)";
        if ("true".equalsIgnoreCase(System.getenv("HUB_REQUIRE_BROWSER"))) {
            assertThat(present)
                    .as("HUB_REQUIRE_BROWSER=true but missing " + why)
                    .isTrue();
        } else {
            Assumptions.assumeTrue(present, "browser tests need " + why);
        }
    }

    /** A fresh browser (its own empty profile) with a window of this size. */
    static Browser start(int width, int height) throws IOException {
        System.setProperty("SE_AVOID_STATS", "true");
        Path profile = Files.createTempDirectory("hub-chromium-");
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments(
                        "--headless=new",
                        "--no-sandbox", // tests run as root
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--disable-dev-shm-usage",
                        "--user-data-dir=" + profile,
                        "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(new File("target/chromedriver.log"))
                .build();
        try {
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().scriptTimeout(TIMEOUT).pageLoadTimeout(TIMEOUT);
            return new Browser(driver, profile);
        } catch (RuntimeException e) {
            delete(profile);
            throw e;
        }
    }

    WebDriverWait waiting() {
        return new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(100));
    }

    /** The texts of the elements matching {@code css}, read in one go in the page (no stale elements). */
    @SuppressWarnings("unchecked")
    List<String> texts(String css) {
        return (List<String>) driver.executeScript(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", css);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    void screenshot(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            delete(profile);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind
        }
    }
}
