package io.veil.jobs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * JVM options a Spark driver needs on Java 17 when not started by spark-submit. Defined once, as
 * {@code spark.java17.flags} in the parent pom (which also gives them to Surefire and Failsafe);
 * the build writes them into the resource read here and that {@code bin/veil} reads too.
 */
public final class JvmFlags {
  private JvmFlags() {}

  public static final List<String> SPARK_JAVA17 = load();

  private static List<String> load() {
    try (InputStream in = JvmFlags.class.getResourceAsStream("/io/veil/jobs/spark-java17.flags")) {
      if (in == null) {
        throw new IllegalStateException("io/veil/jobs/spark-java17.flags is missing from the jobs jar");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      if (text.isEmpty() || text.contains("${")) {
        throw new IllegalStateException("io/veil/jobs/spark-java17.flags was not filtered by the build");
      }
      return List.copyOf(Arrays.asList(text.split("\\s+")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
