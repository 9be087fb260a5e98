package io.veil.jobs.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}), driven through
 * WebDriver (Selenium), started with no network activity of its own and a fresh profile. Fails,
 * never skips, when the browser is missing, saying how to install it.
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriver driver;
  private final Path profile;

  private HeadlessChromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts Chromium with a {@code width} x {@code height} window. */
  static HeadlessChromium start(int width, int height) {
    if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
      throw new AssertionError("This test needs a real headless Chromium: " + BROWSER + " and " + DRIVER
          + " (Debian packages chromium and chromium-driver) are missing. Install them with "
          + "'apt-get update && apt-get install -y chromium chromium-driver' (as root; .ci/run does this).");
    }
    try {
      Path profile = Files.createTempDirectory("veil-chromium-profile");
      ChromeOptions o = new ChromeOptions();
      o.setBinary(BROWSER.toFile());
      o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=" + width + "," + height,
          "--hide-scrollbars");
      o.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
      ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
          .usingAnyFreePort().build();
      ChromeDriver driver = new ChromeDriver(service, o);
      driver.manage().window().setSize(new Dimension(width, height));
      return new HeadlessChromium(driver, profile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ChromeDriver driver() {
    return driver;
  }

  /** Opens {@code file} (a file: URL, nothing from the network). */
  void open(Path file) {
    driver.get(file.toUri().toString());
  }

  /** Runs {@code script} in the page and returns its result. */
  Object js(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  /** The console and page errors logged at SEVERE since the last call. */
  List<String> severeLogs() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::toString).toList();
  }

  /** A screenshot of the window, written to {@code file}. */
  BufferedImage screenshot(Path file) {
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, png);
      return ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Distinct RGB colours in {@code img} (a blank page has one or two). */
  static int distinctColours(BufferedImage img) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        colours.add(img.getRGB(x, y) & 0xffffff);
      }
    }
    return colours.size();
  }

  /** The share of pixels that are not white. */
  static double inkedShare(BufferedImage img) {
    long inked = 0;
    long all = 0;
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        all++;
        if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
          inked++;
        }
      }
    }
    return (double) inked / all;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // a temporary profile left behind
      }
    }
  }
}
