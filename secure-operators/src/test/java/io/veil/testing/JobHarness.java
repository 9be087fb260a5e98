package io.veil.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.PartySecret;
import io.veil.crypto.Sha256;
import io.veil.job.JobOutcome;
import io.veil.job.JobRecord;
import io.veil.job.JobRequest;
import io.veil.job.Operators;
import io.veil.job.ReceiptSink;
import io.veil.job.VeilJobs;
import io.veil.spark.KeyRef;
import io.veil.spec.JobSpec;
import io.veil.spec.PartyPolicy;
import io.veil.spec.PartySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * N parties of a job in one JVM, each on its own driver thread, through the real job runtime
 * ({@link VeilJobs}) over an {@link InMemoryChannel}: generated keys, a spec written with a YAML
 * writer, policies that accept the spec, inputs given as Datasets, outputs returned (not written),
 * receipts collected in memory. What the operator tests run instead of calling operators directly.
 */
public final class JobHarness {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public final InMemoryChannel channel;
  public final List<String> ids;
  private final Map<String, PartySecret> secrets = new LinkedHashMap<>();
  private final Map<String, KeyRef> refs = new LinkedHashMap<>();
  private final Map<String, List<JobRecord>> receipts = new LinkedHashMap<>();
  private boolean remembering;

  /** Parties with fresh random keys. */
  public JobHarness(Path dir, List<String> ids) {
    this(dir, ids, new SecureRandom());
  }

  /** Parties with keys from {@code seed} (deterministic keys: deterministic job ids, secrets and DP noise). */
  public JobHarness(Path dir, List<String> ids, long seed) {
    this(dir, ids, seeded(seed));
  }

  private JobHarness(Path dir, List<String> ids, SecureRandom rnd) {
    String name = "h-" + UUID.randomUUID();
    this.channel = new InMemoryChannel(name);
    this.ids = List.copyOf(ids);
    for (String id : ids) {
      PartySecret s = PartySecret.generate(id, rnd);
      Path f = dir.resolve(name + "-" + id + ".key");
      s.write(f);
      secrets.put(id, s);
      refs.put(id, new KeyRef(f.toString()));
      receipts.put(id, Collections.synchronizedList(new ArrayList<>()));
    }
  }

  private static SecureRandom seeded(long seed) {
    try {
      SecureRandom rnd = SecureRandom.getInstance("SHA1PRNG");
      rnd.setSeed(seed);
      return rnd;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public PartySecret secret(String id) {
    return secrets.get(id);
  }

  public KeyRef key(String id) {
    return refs.get(id);
  }

  public String publicKey(String id) {
    return secrets.get(id).identity().publicKey().encoded();
  }

  /**
   * From now on each party's receipts say which jobs finished, as a ledger does: a finished job run
   * again returns its recorded result. Without this a test can run the same job again.
   */
  public JobHarness rememberingReceipts() {
    remembering = true;
    return this;
  }

  /** Replaces each receipt {@code id} recorded by {@code edit}'s copy of it (say, as an earlier release wrote it). */
  public void editReceipts(String id, java.util.function.UnaryOperator<JobRecord> edit) {
    receipts.get(id).replaceAll(edit);
  }

  /** The receipts {@code id} recorded, oldest first. */
  public List<JobRecord> receipts(String id) {
    return List.copyOf(receipts.get(id));
  }

  /** A party entry of a spec: id, its pinned key, and (when not null) its input and output sections. */
  public Map<String, Object> party(String id, Map<String, Object> input, Map<String, Object> output) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("id", id);
    p.put("publicKey", publicKey(id));
    if (input != null) {
      p.put("input", input);
    }
    if (output != null) {
      p.put("output", output);
    }
    return p;
  }

  /** An input section of a table given in code: format and path are placeholders the runtime does not read. */
  public static Map<String, Object> input(List<String> keyColumns, List<String> columns) {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("format", "parquet");
    in.put("path", "/not-read/given-in-code");
    if (keyColumns != null) {
      in.put("keyColumns", keyColumns);
    }
    if (columns != null) {
      in.put("columns", columns);
    }
    return in;
  }

  /** An output section (a placeholder path: outputs are returned, not written). */
  public static Map<String, Object> output() {
    return Map.of("path", "/not-written/returned-in-code");
  }

  /** The spec of {@code operator} with these parties and operator section (written as YAML, then read). */
  public JobSpec spec(String name, String operator, List<Map<String, Object>> parties, Map<String, Object> section,
      String... extraYaml) {
    return JobSpec.parse(specYaml(name, operator, parties, section, extraYaml), name + ".yaml", null);
  }

  /** The YAML of {@link #spec}. */
  public String specYaml(String name, String operator, List<Map<String, Object>> parties, Map<String, Object> section,
      String... extraYaml) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("version", 1);
    doc.put("name", name);
    doc.put("operator", operator);
    doc.put("parties", parties);
    doc.put(Operators.find(operator).section(), section);
    try {
      return YAML.writeValueAsString(doc) + String.join("\n", extraYaml) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A policy for {@code id} that accepts {@code spec}: its peers and keys, its operator, every recipient. */
  public static PartyPolicy acceptingPolicy(JobSpec spec, String id) {
    return PartyPolicy.parse(acceptingPolicyYaml(spec, id), "policy of " + id);
  }

  /** The YAML of {@link #acceptingPolicy}, followed by {@code extraYaml} lines. */
  public static String acceptingPolicyYaml(JobSpec spec, String id, String... extraYaml) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("party", id);
    List<Map<String, Object>> peers = new ArrayList<>();
    spec.parties().stream().filter(p -> !p.id().equals(id))
        .forEach(p -> peers.add(Map.of("id", p.id(), "publicKey", p.publicKey().encoded())));
    doc.put("peers", peers);
    doc.put("operators", List.of(spec.operator()));
    doc.put("outputRecipients", spec.recipients());
    try {
      return YAML.writeValueAsString(doc) + String.join("\n", extraYaml) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The request {@code id} makes to run {@code spec} on {@code input} (null: no input). */
  public JobRequest.Builder request(JobSpec spec, String id, Dataset<Row> input) {
    JobRequest.Builder b = JobRequest.builder(spec, id, refs.get(id))
        .policy(acceptingPolicy(spec, id))
        .channel(channel)
        .receipts(new MemorySink(receipts.get(id), remembering))
        .writeOutput(false);
    if (input != null) {
      b.input(input);
    }
    return b;
  }

  /** Each party's outcome, or its error. */
  public record Results(Map<String, JobOutcome> outcomes, Map<String, Throwable> errors) {
    public JobOutcome get(String id) {
      JobOutcome o = outcomes.get(id);
      if (o == null) {
        throw new AssertionError(id + " failed: " + errors.get(id), errors.get(id));
      }
      return o;
    }

    public Throwable error(String id) {
      return errors.get(id);
    }
  }

  /** Runs every party of {@code spec} concurrently (those in {@code inputs} with that input); collects outcomes and errors. */
  public Results runAll(SparkSession spark, JobSpec spec, Map<String, Dataset<Row>> inputs) {
    Map<String, JobRequest> requests = new LinkedHashMap<>();
    for (PartySpec p : spec.parties()) {
      requests.put(p.id(), request(spec, p.id(), inputs.get(p.id())).build());
    }
    return runRequests(spark, requests);
  }

  /** Runs each party's request concurrently, each on its own driver thread; collects outcomes and errors. */
  public static Results runRequests(SparkSession spark, Map<String, JobRequest> requests) {
    ExecutorService pool = Executors.newFixedThreadPool(requests.size());
    try {
      Map<String, Future<JobOutcome>> fs = new LinkedHashMap<>();
      requests.forEach((id, rq) -> fs.put(id, pool.submit(() -> VeilJobs.run(spark, rq))));
      Map<String, JobOutcome> outcomes = new LinkedHashMap<>();
      Map<String, Throwable> errors = new LinkedHashMap<>();
      for (Map.Entry<String, Future<JobOutcome>> f : fs.entrySet()) {
        try {
          outcomes.put(f.getKey(), f.getValue().get());
        } catch (ExecutionException e) {
          errors.put(f.getKey(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      return new Results(outcomes, errors);
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@link #runAll}, failing with the first party's error if any party failed. */
  public Map<String, JobOutcome> run(SparkSession spark, JobSpec spec, Map<String, Dataset<Row>> inputs) {
    Results r = runAll(spark, spec, inputs);
    if (!r.errors().isEmpty()) {
      Throwable first = r.errors().values().iterator().next();
      if (first instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(first);
    }
    return r.outcomes();
  }

  /**
   * Receipts kept in memory; the "hash" is over the record's text, the job root a placeholder. A
   * sink that {@code remembers} reports the jobs it recorded as finished (a ledger does); one that
   * does not lets a test run a finished job again.
   */
  public static final class MemorySink implements ReceiptSink {
    private final List<JobRecord> records;
    private final boolean remembers;

    public MemorySink(List<JobRecord> records, boolean remembers) {
      this.records = records;
      this.remembers = remembers;
    }

    @Override
    public Recorded record(JobRecord record, IdentityKeys signer) {
      records.add(record);
      return recorded(record);
    }

    private static Recorded recorded(JobRecord record) {
      String hash = HexFormat.of().formatHex(Sha256.hash(record.toString().getBytes(StandardCharsets.UTF_8)));
      return new Recorded("memory", hash, "-", Map.of());
    }

    @Override
    public Optional<Finished> finished(String jobId, IdentityPublicKey partyKey) {
      if (!remembers) {
        return Optional.empty();
      }
      synchronized (records) {
        for (int i = records.size() - 1; i >= 0; i--) {
          JobRecord r = records.get(i);
          if (r.jobId().equals(jobId) && r.partyKey().equals(partyKey)) {
            Set<String> peers = new HashSet<>();
            r.peers().forEach(p -> peers.add(p.party()));
            return Optional.of(new Finished(recorded(r), r.finishedAt().toString(),
                r.input(), r.output(), r.outputLocation(), r.result(), peers));
          }
        }
      }
      return Optional.empty();
    }

    @Override
    public String describe() {
      return "memory";
    }
  }
}
