package io.veil.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.demo.DemoData;
import io.veil.spec.JobSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One two-party PSI job set up on disk: party keys, inputs, spec and policies in a work
 * directory; parties started as separate JVMs with the `veil run` command, exactly as a user
 * would, with {@code --output json}: each party's outcome is read as JSON ({@link #figure},
 * {@link #jobRoot}, {@link #anchor}), not from its log.
 */
final class PsiFixture {
  static final List<String> PARTIES = List.of("bank_a", "bank_b");
  final Path work;
  final String bootstrap;
  final Map<String, String> publicKeys;

  PsiFixture(Path work, String bootstrap) throws IOException {
    this.work = work;
    this.bootstrap = bootstrap;
    Files.createDirectories(work);
    SecureRandom rnd = new SecureRandom();
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    for (String p : PARTIES) {
      PartySecret s = PartySecret.generate(p, rnd);
      s.write(work.resolve(p + ".key"));
      keys.put(p, s.identity().publicKey().encoded());
    }
    this.publicKeys = keys;
    for (String p : PARTIES) {
      String peer = p.equals("bank_a") ? "bank_b" : "bank_a";
      Files.writeString(work.resolve("policy-" + p + ".yaml"), String.join("\n",
          "party: " + p,
          "peers:",
          "  - id: " + peer,
          "    publicKey: " + keys.get(peer),
          "operators: [psi]",
          "outputRecipients: [bank_a, bank_b]",
          ""), StandardCharsets.UTF_8);
    }
  }

  /** Samples the shipped default_credit files (70%, seeded) into inputs; returns the plaintext intersection ids. */
  Set<String> sampleDefaultCredit() throws IOException {
    Set<String> a = DemoData.sample(DemoData.GUEST, work.resolve("data/bank_a.csv"), 0.7, 1);
    Set<String> b = DemoData.sample(DemoData.HOST, work.resolve("data/bank_b.csv"), 0.7, 2);
    Set<String> inter = new HashSet<>(a);
    inter.retainAll(b);
    return inter;
  }

  /** Writes a spec; {@code extra} lines go at the end (e.g. "peerTimeoutMs: 5000"). */
  Path writeSpec(String file, String name, String mode, Map<String, String> inputBlocks, String... extra)
      throws IOException {
    List<String> lines = new ArrayList<>(List.of(
        "version: 1",
        "name: " + name,
        "operator: psi",
        "parties:"));
    for (String p : PARTIES) {
      lines.add("  - id: " + p);
      lines.add("    publicKey: " + publicKeys.get(p));
      lines.add("    input:");
      lines.add(inputBlocks.getOrDefault(p, String.join("\n",
          "      format: csv",
          "      path: " + work.resolve("data/" + p + ".csv"),
          "      keyColumns: [id]")));
      lines.add("    output:");
      lines.add("      path: " + work.resolve("out/" + name + "/" + p));
      lines.add("      format: csv");
    }
    lines.add("psi:");
    lines.add("  mode: " + mode);
    lines.add("  recipients: [bank_a, bank_b]");
    lines.add("  partitions: 4");
    lines.addAll(List.of(extra));
    lines.add("");
    Path spec = work.resolve(file);
    Files.writeString(spec, String.join("\n", lines), StandardCharsets.UTF_8);
    return spec;
  }

  static String jobId(Path spec) {
    return JobSpec.read(spec, null).jobId();
  }

  PartyProcess start(String party, Path spec, String... extraArgs) throws IOException {
    return startIn(work, party, spec, extraArgs);
  }

  /** {@link #start}, with {@code workDir} as the party's working directory (where relative paths resolve). */
  PartyProcess startIn(Path workDir, String party, Path spec, String... extraArgs) throws IOException {
    return startIn(workDir, party, spec, work.resolve("policy-" + party + ".yaml"), extraArgs);
  }

  /** {@link #start}, with {@code policy} instead of the party's usual policy file. */
  PartyProcess startWithPolicy(String party, Path spec, Path policy, String... extraArgs) throws IOException {
    return startIn(work, party, spec, policy, extraArgs);
  }

  private PartyProcess startIn(Path workDir, String party, Path spec, Path policy, String... extraArgs)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("run",
        "--spec", spec.toString(),
        "--party", party,
        "--key", work.resolve(party + ".key").toString(),
        "--policy", policy.toString(),
        "--ledger", work.resolve("ledger-" + party + ".jsonl").toString(),
        "--bootstrap-servers", bootstrap,
        "--master", "local[1]",
        "--output", "json"));
    args.addAll(List.of(extraArgs));
    return PartyProcess.start(party, args, "768m", List.of(), workDir, System.out);
  }

  /**
   * Starts a party the way a cluster runs it: Spark's own classpath plus the deployable shaded jar
   * ({@code psi-jobs/target/dist}), through {@code org.apache.spark.deploy.SparkSubmit}, the class
   * behind {@code spark-submit}.
   */
  PartyProcess startWithSparkSubmit(String party, Path spec, String... extraArgs) throws IOException {
    Path jar = ClusterBuild.clusterJar();
    String sparkClasspath = ClusterBuild.sparkClasspath();
    List<String> args = new ArrayList<>(List.of("--master", "local[1]",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.veil.channel.bootstrap.servers=" + bootstrap,
        "--class", "io.veil.jobs.VeilCli", jar.toString(),
        "--spec", spec.toString(),
        "--party", party,
        "--key", work.resolve(party + ".key").toString(),
        "--policy", work.resolve("policy-" + party + ".yaml").toString(),
        "--ledger", work.resolve("ledger-" + party + ".jsonl").toString(),
        "--output", "json"));
    args.addAll(List.of(extraArgs));
    return PartyProcess.startJava(party, sparkClasspath, "org.apache.spark.deploy.SparkSubmit", args, "768m",
        List.of(), work, System.out);
  }

  /** Rows of a CSV output directory (header skipped), as raw lines. */
  static List<String> outputLines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(x -> x.getFileName().toString().startsWith("part-")).sorted().toList()) {
        List<String> l = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (!l.isEmpty()) {
          out.addAll(l.subList(1, l.size()));
        }
      }
    }
    return out;
  }

  /** First column of each output row. */
  static Set<String> outputIds(Path dir) throws IOException {
    Set<String> ids = new HashSet<>();
    for (String l : outputLines(dir)) {
      ids.add(l.substring(0, l.indexOf(',') < 0 ? l.length() : l.indexOf(',')));
    }
    return ids;
  }

  Path output(String name, String party) {
    return work.resolve("out/" + name + "/" + party);
  }

  static Optional<String> line(PartyProcess p, String contains) {
    return p.output().stream().filter(l -> l.contains(contains)).findFirst();
  }

  /** A result figure of the party's job, as its receipt records it (e.g. {@code intersectionSize}), or null. */
  static String figure(PartyProcess p, String name) {
    return p.outcome().path("result").path(name).asText(null);
  }

  /** The job root of the party's receipt (the same at every party), or null. */
  static String jobRoot(PartyProcess p) {
    return p.outcome().path("receipt").path("jobRoot").asText(null);
  }

  /** The chain anchor's state after the run ({@code pending ...}, {@code confirmed ...}), or null. */
  static String anchor(PartyProcess p) {
    JsonNode notes = p.outcome().path("receipt").path("notes");
    return notes.path("anchor").asText(null);
  }
}
