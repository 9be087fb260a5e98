package io.veil.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the build made for running Veil the way a cluster does: the deployable jars in
 * {@code psi-jobs/target/dist} and Spark's own classpath from {@code cluster-configs}.
 */
final class ClusterBuild {
  private ClusterBuild() {}

  /** The jar in {@code psi-jobs/target/dist} whose name starts with {@code prefix}. */
  static Path dist(String prefix) throws IOException {
    Path psiJobs = Path.of(System.getProperty("veil.psi-jobs.dir", "../psi-jobs")).toAbsolutePath().normalize();
    try (Stream<Path> files = Files.list(psiJobs.resolve("target/dist"))) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
    }
  }

  /** The deployable (cluster) jar. */
  static Path clusterJar() throws IOException {
    return dist("veil-psi-jobs-");
  }

  /** The cluster-configs module's directory. */
  static Path clusterConfigs() {
    return Path.of(System.getProperty("veil.cluster-configs.dir", "../cluster-configs"));
  }

  /** Spark's runtime classpath as a cluster provides it ({@code cluster-configs/target/spark-classpath.txt}). */
  static String sparkClasspath() throws IOException {
    return Files.readString(clusterConfigs().resolve("target/spark-classpath.txt")).strip();
  }
}
