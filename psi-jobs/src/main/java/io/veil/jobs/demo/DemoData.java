package io.veil.jobs.demo;

import io.veil.InvalidInputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/** Seeded samples of the shipped datasets, and the plaintext answer to compare with. */
public final class DemoData {
  public static final String GUEST = "default_credit_hetero_guest.csv";
  public static final String HOST = "default_credit_hetero_host.csv";

  private DemoData() {}

  /** Finds the shared datasets folder: the given one, or shared/datasets next to or above the working directory. */
  public static Path locate(Optional<String> given) {
    if (given.isPresent()) {
      Path p = Path.of(given.get());
      if (Files.isReadable(p.resolve(GUEST))) {
        return p;
      }
      throw new InvalidInputException("Cannot find " + GUEST + " in " + p + ". Pass --data-dir <shared/datasets>.");
    }
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
      for (Path c : List.of(dir.resolve("shared/datasets"), dir.resolve("../shared/datasets").normalize())) {
        if (Files.isReadable(c.resolve(GUEST))) {
          return c;
        }
      }
    }
    throw new InvalidInputException("Cannot find the shared datasets (" + GUEST + "). Pass --data-dir <path to shared/datasets>.");
  }

  /**
   * Copies the header and a seeded fraction of the rows of {@code source} to {@code target}.
   *
   * @return the ids (first column) of the rows kept
   */
  public static Set<String> sample(Path source, Path target, double fraction, long seed) throws IOException {
    Random rnd = new Random(seed);
    Set<String> ids = new HashSet<>();
    Files.createDirectories(target.getParent());
    try (Stream<String> lines = Files.lines(source, StandardCharsets.UTF_8);
         BufferedWriter w = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
      boolean[] header = {true};
      lines.forEach(line -> {
        try {
          if (header[0]) {
            header[0] = false;
            w.write(line);
            w.newLine();
          } else if (rnd.nextDouble() < fraction) {
            w.write(line);
            w.newLine();
            ids.add(line.substring(0, line.indexOf(',')));
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    return ids;
  }
}
