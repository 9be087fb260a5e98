package io.veil.spec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.veil.psi.PsiOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The contract hash depends on what a spec says, not on how its YAML is written: random valid
 * specs, re-emitted with mapping keys in random order, in block or flow style, with comments, and
 * with default values randomly left out or spelled out, hash the same.
 */
class JobSpecPropertiesTest {
  private static final ObjectMapper BLOCK_YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper PLAIN_YAML =
      new ObjectMapper(YAMLFactory.builder().enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Field paths (party fields as "parties.x") whose values are defaults when equal to these. */
  private static final Map<String, Object> DEFAULTS = Map.of(
      "version", 1,
      "peerTimeoutMs", JobSpec.DEFAULT_PEER_TIMEOUT_MS,
      "psi.mode", "rows",
      "psi.partitions", PsiOptions.DEFAULT_PARTITIONS,
      "psi.batchRows", PsiOptions.DEFAULT_BATCH_ROWS,
      "psi.normalize.trim", true,
      "psi.normalize.case", "none",
      "parties.output.format", "parquet");

  @Property(tries = 250)
  void equivalentYamlGivesTheSameContractHash(@ForAll("specs") Map<String, Object> spec, @ForAll long seed)
      throws Exception {
    JobSpec original = parse(BLOCK_YAML.writeValueAsString(spec));
    Random random = new Random(seed);
    String variant = emit(rewrite(spec, "", random), random);

    JobSpec reread = parse(variant);

    assertThat(reread.canonicalJson()).as("re-read from:\n%s", variant).isEqualTo(original.canonicalJson());
    assertThat(reread.contractHash()).isEqualTo(original.contractHash());
    assertThat(reread.jobId()).isEqualTo(original.jobId());
  }

  @Property(tries = 100)
  void canonicalJsonReadsBackToItself(@ForAll("specs") Map<String, Object> spec) throws Exception {
    JobSpec original = parse(BLOCK_YAML.writeValueAsString(spec));
    assertThat(parse(original.canonicalJson()).canonicalJson()).isEqualTo(original.canonicalJson());
  }

  @Property(tries = 100)
  void changingAnyMeaningfulValueChangesTheContractHash(@ForAll("specs") Map<String, Object> spec, @ForAll int pick)
      throws Exception {
    JobSpec original = parse(BLOCK_YAML.writeValueAsString(spec));
    @SuppressWarnings("unchecked")
    Map<String, Object> copy = JSON.readValue(JSON.writeValueAsString(spec), Map.class);
    List<Slot> slots = new ArrayList<>();
    collect(copy, "", slots);
    Slot slot = slots.get(Math.floorMod(pick, slots.size()));
    String before = String.valueOf(slot.get());
    slot.set(changed(slot.get()));

    JobSpec changed = parse(BLOCK_YAML.writeValueAsString(copy));

    assertThat(changed.contractHash()).as("changed %s from %s to %s", slot.path(), before, slot.get())
        .isNotEqualTo(original.contractHash());
    assertThat(changed.jobId()).isNotEqualTo(original.jobId());
  }

  /** Scalars that can be changed while the spec stays valid (paths as built by {@link #rewrite}). */
  private static final java.util.Set<String> MUTABLE = java.util.Set.of(
      "name", "period", "peerTimeoutMs", "parties.input.path", "parties.input.table", "parties.input.keyColumns[]",
      "parties.input.columns[]", "parties.output.path", "psi.partitions", "psi.batchRows", "psi.normalize.trim");

  /** One scalar in the tree: a map entry or a list element. */
  private record Slot(String path, Map<String, Object> map, String key, List<Object> list, int index) {
    Object get() {
      return map != null ? map.get(key) : list.get(index);
    }

    void set(Object v) {
      if (map != null) {
        map.put(key, v);
      } else {
        list.set(index, v);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void collect(Object node, String path, List<Slot> out) {
    if (node instanceof Map<?, ?> m) {
      Map<String, Object> map = (Map<String, Object>) m;
      for (String k : map.keySet()) {
        String child = path.isEmpty() ? k : path + "." + k;
        Object v = map.get(k);
        if (v instanceof Map || v instanceof List) {
          collect(v, child, out);
        } else if (MUTABLE.contains(child) || path.equals("parties.input.options")) {
          out.add(new Slot(child, map, k, null, -1));
        }
      }
    } else if (node instanceof List<?> l) {
      List<Object> list = (List<Object>) l;
      for (int i = 0; i < list.size(); i++) {
        Object v = list.get(i);
        if (v instanceof Map || v instanceof List) {
          collect(v, path, out);
        } else if (MUTABLE.contains(path + "[]")) {
          out.add(new Slot(path + "[" + i + "]", null, null, list, i));
        }
      }
    }
  }

  /** A different value of the same type that the spec still accepts. */
  private static Object changed(Object v) {
    if (v instanceof Boolean b) {
      return !b;
    }
    if (v instanceof Number n) { // stay within every lower bound: partitions, batchRows >= 1, peerTimeoutMs >= 1000
      long x = n.longValue();
      return x == 1 || x == 1000 ? x + 1 : x - 1;
    }
    return v + "y";
  }

  private static JobSpec parse(String yaml) {
    return JobSpec.parse(yaml, "generated.yaml", null);
  }

  // ---------------------------------------------------------------- rewriting

  /**
   * A copy of the tree with every mapping's keys shuffled, and entries that hold their default value
   * randomly dropped or kept. List order is kept: it is meaningful (key column order, recipients).
   */
  @SuppressWarnings("unchecked")
  private static Object rewrite(Object node, String path, Random random) {
    if (node instanceof Map<?, ?> map) {
      List<String> keys = new ArrayList<>((java.util.Set<String>) map.keySet());
      Collections.shuffle(keys, random);
      Map<String, Object> out = new LinkedHashMap<>();
      for (String k : keys) {
        String child = path.isEmpty() ? k : path + "." + k;
        Object v = map.get(k);
        if (DEFAULTS.containsKey(child) && DEFAULTS.get(child).equals(v) && random.nextBoolean()) {
          continue;
        }
        out.put(k, rewrite(v, child, random));
      }
      return out;
    }
    if (node instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object e : list) {
        out.add(rewrite(e, path, random)); // list elements share the path: "parties.input..."
      }
      return out;
    }
    return node;
  }

  /** Block YAML (quoted or plain scalars, with comment lines) or flow style (JSON). */
  private static String emit(Object tree, Random random) throws JsonProcessingException {
    switch (random.nextInt(4)) {
      case 0:
        return JSON.writeValueAsString(tree);
      case 1:
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
      case 2:
        return withComments(PLAIN_YAML.writeValueAsString(tree), random);
      default:
        return withComments(BLOCK_YAML.writeValueAsString(tree), random);
    }
  }

  private static String withComments(String yaml, Random random) {
    StringBuilder out = new StringBuilder();
    for (String line : yaml.split("\n", -1)) {
      if (random.nextInt(4) == 0) {
        out.append(" ".repeat(random.nextInt(6))).append("# comment ").append(random.nextInt(100)).append('\n');
      }
      out.append(line);
      if (!line.isBlank() && !line.equals("---") && random.nextInt(4) == 0) {
        out.append("   # trailing comment");
      }
      out.append('\n');
    }
    return out.toString();
  }

  // ---------------------------------------------------------------- generators

  @Provide
  Arbitrary<Map<String, Object>> specs() {
    Arbitrary<List<List<String>>> keyColumns = Arbitraries.integers().between(1, 3)
        .flatMap(n -> Combinators.combine(columns(n), columns(n)).as(List::of));
    Arbitrary<Map<String, Object>> psi = Combinators.combine(
            Arbitraries.of("rows", "cardinality"),
            Arbitraries.of(List.of("bank_a", "bank_b"), List.of("bank_b", "bank_a"), List.of("bank_a"),
                List.of("bank_b")),
            Arbitraries.of(true, false),
            Arbitraries.of("none", "lower", "upper"),
            Arbitraries.oneOf(Arbitraries.just(PsiOptions.DEFAULT_PARTITIONS), Arbitraries.integers().between(1, 10_000)),
            Arbitraries.oneOf(Arbitraries.just(PsiOptions.DEFAULT_BATCH_ROWS), Arbitraries.integers().between(1, 1 << 20)))
        .as((mode, recipients, trim, caseMode, partitions, batchRows) -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("mode", mode);
          m.put("recipients", recipients);
          m.put("normalize", new LinkedHashMap<>(Map.of("trim", trim, "case", caseMode)));
          m.put("partitions", partitions);
          m.put("batchRows", batchRows);
          return m;
        });
    return Combinators.combine(
            keyColumns.flatMap(k -> Combinators.combine(party("bank_a", SpecFixtures.keyA(), k.get(0)),
                party("bank_b", SpecFixtures.keyB(), k.get(1))).as(List::of)),
            psi,
            names(),
            names().injectNull(0.3),
            Arbitraries.oneOf(Arbitraries.just(JobSpec.DEFAULT_PEER_TIMEOUT_MS),
                Arbitraries.longs().between(1000, 86_400_000)))
        .as((parties, psiMap, name, period, timeout) -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("version", 1);
          m.put("name", name);
          if (period != null) {
            m.put("period", period);
          }
          m.put("operator", "psi");
          m.put("peerTimeoutMs", timeout);
          m.put("parties", parties);
          m.put("psi", psiMap);
          return m;
        });
  }

  private static Arbitrary<Map<String, Object>> party(String id, String key, List<String> keyColumns) {
    Arbitrary<Map<String, Object>> input = Combinators.combine(
            Arbitraries.of("csv", "parquet", "json", "orc", "table"),
            names(),
            Arbitraries.maps(Arbitraries.of("header", "delimiter", "encoding", "mode", "nullValue"), names())
                .ofMaxSize(3),
            columns(2).injectNull(0.5),
            Arbitraries.maps(Arbitraries.of(keyColumns), Arbitraries.of("string", "int", "bigint", "date"))
                .ofMaxSize(keyColumns.size()))
        .as((format, location, options, columns, schema) -> {
          Map<String, Object> in = new LinkedHashMap<>();
          in.put("format", format);
          if (format.equals("table")) {
            in.put("table", "db_" + id + "." + location);
          } else {
            in.put("path", "hdfs://nn/data/" + id + "/" + location);
          }
          if (!options.isEmpty()) {
            in.put("options", new LinkedHashMap<>(options));
          }
          in.put("keyColumns", keyColumns);
          if (columns != null) {
            in.put("columns", columns);
          }
          if (!schema.isEmpty()) {
            in.put("schema", new LinkedHashMap<>(schema));
          }
          return in;
        });
    return Combinators.combine(input, Arbitraries.of("parquet", "csv"), names()).as((in, outFormat, outDir) -> {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("id", id);
      p.put("publicKey", key);
      p.put("input", in);
      p.put("output", new LinkedHashMap<>(Map.of("path", "s3a://" + id.replace('_', '-') + "/" + outDir,
          "format", outFormat)));
      return p;
    });
  }

  /** Identifier-like names; the leading letter keeps YAML from reading them as numbers or booleans. */
  private static Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('_', '-').ofMinLength(0).ofMaxLength(12)
        .map(s -> "x" + s);
  }

  private static Arbitrary<List<String>> columns(int n) {
    return names().list().ofSize(n).uniqueElements();
  }
}
