package io.veil.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.jobs.VeilCli;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The datasets shipped with Veil, the demos' seeded samples of them, and the --data-dir override. */
class DemoDataTest {
  @TempDir Path dir;

  /** A shipped dataset as documented in data/README.md: data rows, columns, first header cell. */
  private record Documented(int rows, int columns, String firstHeaderCell) {}

  private static final Map<String, Documented> DOCUMENTED = new LinkedHashMap<>();

  static {
    DOCUMENTED.put(DemoData.GUEST, new Documented(30_000, 15, "id"));
    DOCUMENTED.put(DemoData.HOST, new Documented(30_000, 11, "id"));
    DOCUMENTED.put(DemoData.UCI, new Documented(30_000, 25, "\"ID\""));
    DOCUMENTED.put(DemoData.BREAST_GUEST, new Documented(569, 12, "id"));
    DOCUMENTED.put(DemoData.BREAST_HOST, new Documented(569, 21, "id"));
  }

  @Test
  void everyShippedDatasetOpensWithItsDocumentedRowsAndHeader() throws IOException {
    assertThat(DemoData.SHIPPED).containsExactlyInAnyOrderElementsOf(DOCUMENTED.keySet());
    for (String name : DemoData.SHIPPED) {
      Documented doc = DOCUMENTED.get(name);
      List<String> lines;
      try (BufferedReader in = DemoData.reader(Optional.empty(), name)) {
        lines = in.lines().toList();
      }
      assertThat(lines).as(name).hasSize(doc.rows() + 1);
      String[] header = lines.get(0).split(",", -1);
      assertThat(header[0]).as(name).isEqualTo(doc.firstHeaderCell());
      assertThat(header).as(name).hasSize(doc.columns());
      assertThat(lines.get(lines.size() - 1).split(",", -1)).as(name + ", last row").hasSize(doc.columns());
    }
  }

  @Test
  void shippedCopiesAreTheOriginalsListedInTheReadme() throws Exception {
    String readme;
    try (InputStream in = DemoData.class.getResourceAsStream("data/README.md")) {
      assertThat(in).as("io/veil/jobs/demo/data/README.md on the classpath").isNotNull();
      readme = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Map<String, String> listed = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?m)^([0-9a-f]{64})  (\\S+)$").matcher(readme);
    while (m.find()) {
      listed.put(m.group(2), m.group(1));
    }
    assertThat(listed.keySet()).containsExactlyInAnyOrderElementsOf(DemoData.SHIPPED);
    for (String name : DemoData.SHIPPED) {
      assertThat(readme).as("README row for " + name).contains("`" + name + ".gz`");
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      try (InputStream in = DemoData.open(name)) {
        sha.update(in.readAllBytes());
      }
      assertThat(HexFormat.of().formatHex(sha.digest())).as(name).isEqualTo(listed.get(name));
    }
  }

  @Test
  void anUnknownNameIsRefused() {
    assertThatThrownBy(() -> DemoData.open("customers.csv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot open dataset 'customers.csv'")
        .hasMessageContaining(DemoData.GUEST);
  }

  @Test
  void theDemoSampleIsDeterministicAndUnchanged() throws IOException {
    Set<String> a = DemoData.sample(DemoData.GUEST, dir.resolve("a1/bank_a.csv"), 0.7, 1);
    Set<String> again = DemoData.sample(DemoData.GUEST, dir.resolve("a2/bank_a.csv"), 0.7, 1);
    Set<String> b = DemoData.sample(DemoData.HOST, dir.resolve("b/bank_b.csv"), 0.7, 2);
    assertThat(again).isEqualTo(a);
    assertThat(Files.readAllBytes(dir.resolve("a2/bank_a.csv")))
        .isEqualTo(Files.readAllBytes(dir.resolve("a1/bank_a.csv")));
    // The figures `veil demo` has always printed: input rows 21042 and 21050, intersection 14707.
    assertThat(a).hasSize(21_042);
    assertThat(b).hasSize(21_050);
    Set<String> both = new HashSet<>(a);
    both.retainAll(b);
    assertThat(both).hasSize(14_707);
    List<String> written = Files.readAllLines(dir.resolve("a1/bank_a.csv"), StandardCharsets.UTF_8);
    assertThat(written).hasSize(a.size() + 1);
    assertThat(written.get(0)).startsWith("id,y,x0,");

    Set<String> otherSeed = DemoData.sample(DemoData.GUEST, dir.resolve("a3/bank_a.csv"), 0.7, 3);
    assertThat(otherSeed).isNotEqualTo(a);
  }

  @Test
  void sampleOfTheShippedCopyEqualsSampleOfThePlainFile() throws IOException {
    Path plainDir = dir.resolve("plain");
    Files.createDirectories(plainDir);
    for (String name : List.of(DemoData.HOST, DemoData.BREAST_GUEST)) {
      try (InputStream in = DemoData.open(name)) {
        Files.copy(in, plainDir.resolve(name));
      }
      Set<String> shipped = DemoData.sample(name, dir.resolve("shipped/" + name), 0.5, 42);
      Set<String> plain = DemoData.sample(plainDir.resolve(name), dir.resolve("plain-sample/" + name), 0.5, 42);
      Set<String> viaDataDir = DemoData.sample(DemoData.dataDir(Optional.of(plainDir.toString()), name), name,
          dir.resolve("data-dir-sample/" + name), 0.5, 42);
      assertThat(plain).as(name).isEqualTo(shipped).isNotEmpty();
      assertThat(viaDataDir).as(name).isEqualTo(shipped);
      byte[] expected = Files.readAllBytes(dir.resolve("shipped/" + name));
      assertThat(Files.readAllBytes(dir.resolve("plain-sample/" + name))).as(name).isEqualTo(expected);
      assertThat(Files.readAllBytes(dir.resolve("data-dir-sample/" + name))).as(name).isEqualTo(expected);
    }
  }

  @Test
  void noDataDirMeansTheShippedCopies() {
    assertThat(DemoData.dataDir(Optional.empty(), DemoData.GUEST)).isEmpty();
  }

  @Test
  void aDataDirWithoutTheFileIsAClearError() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(empty.resolve(DemoData.GUEST), "id,y\n1,0\n");
    assertThatThrownBy(() -> DemoData.dataDir(Optional.of(empty.toString()), DemoData.GUEST, DemoData.HOST))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read " + DemoData.HOST + " from --data-dir " + empty + ": ")
        .hasMessageContaining("no readable file " + empty.resolve(DemoData.HOST))
        .hasMessageContaining("Put the plain (not gzipped) " + DemoData.HOST + " there, or leave out --data-dir "
            + "to use the copy shipped with Veil.");
    Path absent = dir.resolve("absent");
    assertThatThrownBy(() -> DemoData.dataDir(Optional.of(absent.toString()), DemoData.UCI))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("Cannot read " + DemoData.UCI + " from --data-dir " + absent + ": it is not a directory.")
        .hasMessageContaining("leave out --data-dir");
  }

  @Test
  void bothDemosCheckTheirDataDirBeforeStartingAnything() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    for (List<String> demo : List.of(List.of("demo"), List.of("demo", "report"))) {
      Path work = dir.resolve("work-" + demo.size());
      List<String> args = new ArrayList<>(demo);
      args.addAll(List.of("--data-dir", empty.toString(), "--work-dir", work.toString()));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = VeilCli.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(code).as(String.join(" ", demo)).isEqualTo(1);
      String missing = demo.size() == 1 ? DemoData.GUEST : DemoData.UCI;
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("Cannot read " + missing + " from --data-dir " + empty, "leave out --data-dir");
      assertThat(work).doesNotExist();
    }
  }

  /**
   * Nothing in the repository reads a folder beside it: no module source, resource, build file or
   * script names the sibling datasets folder the demos once read.
   */
  @Test
  void noSourceBuildOrScriptFileReachesOutsideTheRepository() throws IOException {
    Path root = repositoryRoot();
    // Spelled in pieces so that this file does not match itself.
    List<String> forbidden = List.of(".." + "/shared", ".." + "\\shared", "shared" + "/datasets");
    List<Path> roots = new ArrayList<>(List.of(root.resolve("pom.xml"), root.resolve("README.md"), root.resolve("bin"),
        root.resolve(".ci")));
    try (Stream<Path> top = Files.list(root)) {
      for (Path module : top.filter(p -> Files.isRegularFile(p.resolve("pom.xml"))).sorted().toList()) {
        roots.add(module.resolve("pom.xml"));
        roots.add(module.resolve("src"));
      }
    }
    List<String> offending = new ArrayList<>();
    int scanned = 0;
    for (Path start : roots) {
      if (!Files.exists(start)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(start)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          byte[] bytes = Files.readAllBytes(f);
          if (isBinary(bytes)) {
            continue;
          }
          scanned++;
          String text = new String(bytes, StandardCharsets.ISO_8859_1);
          for (String s : forbidden) {
            if (text.contains(s)) {
              offending.add(root.relativize(f) + " contains '" + s + "'");
            }
          }
        }
      }
    }
    assertThat(scanned).as("text files scanned under " + root).isGreaterThan(100);
    assertThat(offending).as("files that read a folder outside the repository").isEmpty();
  }

  /**
   * The repository root: the parent of this module's basedir (Surefire's {@code basedir}, else the
   * working directory).
   */
  private static Path repositoryRoot() throws IOException {
    Path module = Path.of(System.getProperty("basedir", "")).toAbsolutePath().normalize();
    Path root = module.getParent();
    assertThat(root).as("parent of " + module).isNotNull();
    assertThat(Files.readString(root.resolve("pom.xml"))).as(root + "/pom.xml").contains("<module>psi-jobs</module>");
    return root;
  }

  /** Gzip and other binary files hold NUL bytes; text files do not. */
  private static boolean isBinary(byte[] bytes) {
    for (int i = 0; i < Math.min(bytes.length, 8192); i++) {
      if (bytes[i] == 0) {
        return true;
      }
    }
    return false;
  }
}
