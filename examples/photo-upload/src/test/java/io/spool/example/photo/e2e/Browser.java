package io.spool.example.photo.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium, headless, driven through Debian's ChromeDriver (both installed by
 * .ci/install-test-tools before the tests run; Selenium downloads nothing).
 */
final class Browser implements AutoCloseable {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    final ChromeDriver driver;

    Browser(Path profileDir) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // As root in a container: no sandbox. The network flags keep Chromium from calling out
        // (this machine has no network beyond loopback, and the page needs none).
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1100,900", "--user-data-dir=" + profileDir);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    WebDriverWait waiting(Duration timeout) {
        return new WebDriverWait(driver, timeout);
    }

    /** A PNG of the page as it is now, under the module's target/ for a person to look at. */
    Path screenshot(String name) throws IOException {
        Path target = Path.of("target", name).toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
        return Files.move(shot, target, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        driver.quit();
    }

}
