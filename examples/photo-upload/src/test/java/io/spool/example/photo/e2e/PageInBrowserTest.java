package io.spool.example.photo.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.spool.broker.testing.TestBroker;
import io.spool.example.photo.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/** The page as a person uses it, in headless Chromium: upload, watch the status, see the thumbnails. */
class PageInBrowserTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @TempDir
    Path tmp;

    @Test
    void anUploadShowsProcessingThenDoneWithItsThumbnailsWithoutAReload() throws Exception {
        Path photo = Files.write(tmp.resolve("sunset.jpg"), TestMedia.image(1200, 800, "jpeg", 5));
        try (PhotoUploadSystem system = PhotoUploadSystem.start(broker, tmp.resolve("data"), null);
             Browser browser = new Browser(tmp.resolve("chromium"))) {
            browser.driver.get(system.web.uri().toString());
            assertThat(browser.driver.getTitle()).isEqualTo("Spool photo upload");

            browser.driver.findElement(By.id("file")).sendKeys(photo.toString());
            browser.driver.findElement(By.id("upload")).click();
            WebElement card = browser.waiting(Duration.ofSeconds(30))
                    .until(d -> d.findElement(By.cssSelector("#uploads .upload[data-id]")));
            WebElement status = card.findElement(By.className("status"));
            // No worker yet: the page has its answer and shows the upload as processing.
            browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElement(status, "processing"));
            assertThat(card.findElement(By.className("name")).getText()).isEqualTo("sunset.jpg");
            browser.screenshot("photo-upload-processing.png");

            system.startWorker();
            browser.waiting(Duration.ofSeconds(60)).until(ExpectedConditions.textToBePresentInElement(status, "done"));
            List<WebElement> thumbnails = browser.waiting(Duration.ofSeconds(10)).until(d -> {
                List<WebElement> imgs = card.findElements(By.cssSelector("img.thumbnail"));
                return imgs.size() == 3 && imgs.stream().allMatch(i -> loaded(browser, i)) ? imgs : null;
            });
            assertThat(thumbnails).extracting(i -> naturalWidth(browser, i)).containsExactly(160L, 320L, 640L);
            assertThat(card.findElement(By.className("meta")).getText()).startsWith("1200\u00d7800 \u00b7 jpeg");
            // The workers' news as it came; "finished" may come after the stream already said done.
            assertThat(card.findElement(By.className("activity")).getText())
                    .contains("uploaded and queued in", "thumbnails: attempt 1 started");
            assertThat(browser.driver.findElement(By.id("video-note")).isDisplayed()).isFalse();
            assertThat(browser.screenshot("photo-upload-page.png")).isNotEmptyFile();
        }
    }

    @Test
    void withoutFfmpegThePageSaysVideosAreOffAndPhotosStillWork() throws Exception {
        // Web app and worker as processes whose PATH has no ffmpeg, as on a machine without it.
        Map<String, String> noFfmpeg = Map.of("PATH", tmp.toString());
        try (AppProcess web = AppProcess.web(broker.port(), tmp.resolve("data"), noFfmpeg);
             AppProcess worker = AppProcess.worker(broker.port(), tmp.resolve("data"), noFfmpeg);
             Browser browser = new Browser(tmp.resolve("chromium"))) {
            assertThat(worker.output().stdout()).anyMatch(l -> l.contains("no ffmpeg on the PATH, so no video work here"));
            String url = web.awaitWebUrl();
            WebClient client = new WebClient(java.net.URI.create(url));

            browser.driver.get(url);
            WebElement note = browser.waiting(Duration.ofSeconds(10))
                    .until(ExpectedConditions.visibilityOfElementLocated(By.id("video-note")));
            assertThat(note.getText()).isEqualTo("Video uploads are off: videos need ffmpeg on the server, and it is"
                    + " not installed (Debian: apt-get install ffmpeg); photos work.");
            browser.screenshot("photo-upload-no-ffmpeg.png");

            WebClient.Answer video = client.upload("clip.mp4", "video/mp4", new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p'});
            assertThat(video.status()).isEqualTo(415);
            assertThat(video.json().path("error").asText()).startsWith("videos need ffmpeg on the server");
            try (var uploads = Files.list(tmp.resolve("data/media"))) {
                assertThat(uploads).as("nothing kept of the refused video").isEmpty();
            }

            String id = client.upload("fine.png", "image/png", TestMedia.png(400, 300)).json().path("id").asText();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> client.get("/photos/" + id).json().path("status").asText().equals("done"));
        }
    }

    private static boolean loaded(Browser browser, WebElement img) {
        return Boolean.TRUE.equals(browser.driver.executeScript("return arguments[0].complete && arguments[0].naturalWidth > 0", img));
    }

    private static long naturalWidth(Browser browser, WebElement img) {
        return ((Number) browser.driver.executeScript("return arguments[0].naturalWidth", img)).longValue();
    }
}
