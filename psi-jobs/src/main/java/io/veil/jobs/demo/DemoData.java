package io.veil.jobs.demo;

import io.veil.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The public datasets the demos and integration tests use, seeded samples of them, and the
 * plaintext answer to compare with. The datasets ship with Veil, gzip-compressed, as classpath
 * resources next to this class ({@code io/veil/jobs/demo/data/<name>.gz}; sources, licences and
 * sizes in the README.md there), so nothing outside the repository (or the jar) is read. A demo's
 * {@code --data-dir DIR} reads plain {@code DIR/<name>} files instead.
 */
public final class DemoData {
  /** Guest side of the vertically split UCI credit-default data: id, y, x0..x12; 30,000 rows. */
  public static final String GUEST = "default_credit_hetero_guest.csv";
  /** Host side of the same split: id, x0..x9; 30,000 rows. */
  public static final String HOST = "default_credit_hetero_host.csv";
  /** The raw UCI credit-card table (quoted header, ID first); 30,000 rows. */
  public static final String UCI = "UCI_Credit_Card.csv";
  /** Guest side of the vertically split UCI breast-cancer (diagnostic) data: id, y, x0..x9; 569 rows. */
  public static final String BREAST_GUEST = "breast_hetero_guest.csv";
  /** Host side of the same split: id, x0..x19; 569 rows. */
  public static final String BREAST_HOST = "breast_hetero_host.csv";
  /** Every shipped dataset, by its plain file name (the resource is this name plus {@code .gz}). */
  public static final List<String> SHIPPED = List.of(GUEST, HOST, UCI, BREAST_GUEST, BREAST_HOST);

  /** The resources' folder, relative to this class's package. */
  private static final String RESOURCES = "data/";

  private DemoData() {}

  /**
   * Opens a dataset shipped with Veil: the gunzipped content of the classpath resource
   * {@code io/veil/jobs/demo/data/<name>.gz}. The caller closes the stream.
   *
   * @param name one of {@link #SHIPPED}, e.g. {@link #GUEST}
   */
  public static InputStream open(String name) throws IOException {
    if (!SHIPPED.contains(name)) {
      throw new IllegalArgumentException("Cannot open dataset '" + name + "': it is not one of the datasets shipped "
          + "with Veil (" + String.join(", ", SHIPPED) + "). Use one of these names.");
    }
    InputStream gz = DemoData.class.getResourceAsStream(RESOURCES + name + ".gz");
    if (gz == null) {
      throw new IllegalStateException("Cannot open dataset " + name + ": the resource io/veil/jobs/demo/"
          + RESOURCES + name + ".gz is not on the classpath. Rebuild psi-jobs "
          + "(mvn -q -pl psi-jobs -am -DskipTests package).");
    }
    try {
      return new GZIPInputStream(new BufferedInputStream(gz), 1 << 16);
    } catch (IOException e) {
      gz.close();
      throw e;
    }
  }

  /**
   * Opens a dataset: the plain file {@code dataDir/<name>} when a data directory is given (see
   * {@link #dataDir}), otherwise the copy shipped with Veil ({@link #open(String)}). The caller
   * closes the stream.
   */
  public static InputStream open(Optional<Path> dataDir, String name) throws IOException {
    return dataDir.isPresent() ? Files.newInputStream(plainFile(dataDir.get(), name)) : open(name);
  }

  /** {@link #open(Optional, String)} as UTF-8 text. The caller closes the reader. */
  public static BufferedReader reader(Optional<Path> dataDir, String name) throws IOException {
    return new BufferedReader(new InputStreamReader(open(dataDir, name), StandardCharsets.UTF_8));
  }

  /**
   * A demo's {@code --data-dir} option, checked: empty when it is not given (the shipped copies are
   * used), otherwise the directory, which must hold a readable plain file for each of {@code needed}.
   *
   * @throws InvalidInputException naming the first missing file and what to do about it
   */
  public static Optional<Path> dataDir(Optional<String> given, String... needed) {
    if (given.isEmpty()) {
      return Optional.empty();
    }
    Path dir = Path.of(given.get()).toAbsolutePath().normalize();
    for (String name : needed) {
      plainFile(dir, name);
    }
    return Optional.of(dir);
  }

  /** {@code dir/name}, which must be a readable file. */
  private static Path plainFile(Path dir, String name) {
    String fix = " Put the plain (not gzipped) " + name + " there, or leave out --data-dir to use the copy "
        + "shipped with Veil.";
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputException("Cannot read " + name + " from --data-dir " + dir + ": it is not a directory."
          + fix);
    }
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new InvalidInputException("Cannot read " + name + " from --data-dir " + dir + ": there is no readable "
          + "file " + file + "." + fix);
    }
    return file;
  }

  /**
   * Copies the header and a seeded fraction of the rows of a shipped dataset to {@code target}:
   * {@link #sample(Optional, String, Path, double, long)} without a data directory.
   *
   * @return the ids (first column) of the rows kept
   */
  public static Set<String> sample(String name, Path target, double fraction, long seed) throws IOException {
    return sample(Optional.empty(), name, target, fraction, seed);
  }

  /**
   * Copies the header and a seeded fraction of the rows of a dataset ({@link #open(Optional,
   * String)}) to {@code target}. Row i (after the header) is kept when the i-th {@code nextDouble()}
   * of {@code new Random(seed)} is below {@code fraction}, so the sample depends only on the rows,
   * the fraction and the seed: the shipped copy and the plain file give the same one.
   *
   * @return the ids (first column) of the rows kept
   */
  public static Set<String> sample(Optional<Path> dataDir, String name, Path target, double fraction, long seed)
      throws IOException {
    try (BufferedReader in = reader(dataDir, name)) {
      return sample(in, target, fraction, seed);
    }
  }

  /**
   * Copies the header and a seeded fraction of the rows of the plain CSV file {@code source} to
   * {@code target}, as {@link #sample(Optional, String, Path, double, long)} does.
   *
   * @return the ids (first column) of the rows kept
   */
  public static Set<String> sample(Path source, Path target, double fraction, long seed) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(source, StandardCharsets.UTF_8)) {
      return sample(in, target, fraction, seed);
    }
  }

  private static Set<String> sample(BufferedReader in, Path target, double fraction, long seed) throws IOException {
    Random rnd = new Random(seed);
    Set<String> ids = new HashSet<>();
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    try (BufferedWriter w = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
      String line = in.readLine();
      if (line == null) {
        return ids;
      }
      w.write(line);
      w.newLine();
      while ((line = in.readLine()) != null) {
        if (rnd.nextDouble() < fraction) {
          w.write(line);
          w.newLine();
          int comma = line.indexOf(',');
          ids.add(comma < 0 ? line : line.substring(0, comma));
        }
      }
    }
    return ids;
  }
}
