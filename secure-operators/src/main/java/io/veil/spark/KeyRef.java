package io.veil.spark;

import io.veil.InvalidInputException;
import io.veil.crypto.PartySecret;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;

/**
 * A reference to a party key file, resolved where it is used (driver or executor). This is what
 * Spark closures carry instead of key material: a path (local, or a file shipped with
 * {@code spark-submit --files}, found through {@link SparkFiles}). Resolved secrets are cached
 * per JVM.
 */
public final class KeyRef implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Map<String, PartySecret> CACHE = new ConcurrentHashMap<>();

  private final String path;

  public KeyRef(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }

  /** Reads (once per JVM) and returns the party secret. */
  public PartySecret resolve() {
    return CACHE.computeIfAbsent(path, p -> PartySecret.read(locate(p)));
  }

  private static Path locate(String p) {
    Path direct = Paths.get(p);
    if (Files.isReadable(direct)) {
      return direct;
    }
    try {
      Path shipped = Paths.get(SparkFiles.get(direct.getFileName().toString()));
      if (Files.isReadable(shipped)) {
        return shipped;
      }
    } catch (RuntimeException noSparkContext) {
      // not inside a Spark application: fall through
    }
    throw new InvalidInputException(
        "Cannot read party key file " + p + ": it does not exist on this node. Give a path "
            + "readable on every node, or ship it with spark-submit --files " + p + ".");
  }

  @Override
  public String toString() {
    return "KeyRef(" + path + ")";
  }
}
