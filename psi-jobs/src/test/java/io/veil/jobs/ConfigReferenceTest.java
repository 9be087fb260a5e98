package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.config.VeilConf;
import io.veil.job.VeilJobs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table is the one {@code veil config} prints, made from the settings'
 * definitions: change a setting, then paste {@code bin/veil config} between the README's markers.
 */
class ConfigReferenceTest {
  static final String BEGIN = "<!-- BEGIN veil config:";
  static final String END = "<!-- END veil config -->";

  @Test
  void theReadmeTableIsTheGeneratedOne() throws IOException {
    Path readme = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).resolve("../README.md")
        .normalize();
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    assertThat(begin).as("%s has the marker %s", readme, BEGIN).isNotNegative();
    assertThat(end).as("%s has the marker %s", readme, END).isGreaterThan(begin);
    String table = text.substring(text.indexOf('\n', begin) + 1, end);
    assertThat(table)
        .as("the Configuration table of %s: replace it with the output of 'bin/veil config'", readme)
        .isEqualTo(VeilConf.markdownTable(VeilJobs.settings()));
  }
}
