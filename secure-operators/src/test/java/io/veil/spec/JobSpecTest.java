package io.veil.spec;

import static io.veil.spec.SpecFixtures.fullSpec;
import static io.veil.spec.SpecFixtures.keyA;
import static io.veil.spec.SpecFixtures.keyB;
import static io.veil.spec.SpecFixtures.keyC;
import static io.veil.spec.SpecFixtures.minimalSpec;
import static io.veil.spec.SpecFixtures.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.InvalidInputException;
import io.veil.psi.KeyNormalization;
import io.veil.psi.PsiMode;
import io.veil.psi.PsiOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobSpecTest {
  private static final String SOURCE = "test.yaml";

  private static JobSpec parse(String yaml) {
    return JobSpec.parse(yaml, SOURCE, null);
  }

  // ---------------------------------------------------------------- valid specs and defaults

  @Test
  void minimalSpecParsesWithEveryDefaultFilledIn() {
    JobSpec spec = parse(minimalSpec());

    assertThat(spec.name()).isEqualTo("customer-overlap");
    assertThat(spec.period()).isEmpty();
    assertThat(spec.operator()).isEqualTo("psi");
    assertThat(spec.peerTimeoutMs()).isEqualTo(JobSpec.DEFAULT_PEER_TIMEOUT_MS);
    assertThat(spec.parties()).extracting(PartySpec::id).containsExactly("bank_a", "bank_b");
    assertThat(spec.partyKeys()).containsExactly(
        Map.entry("bank_a", SpecFixtures.BANK_A.identity().publicKey()),
        Map.entry("bank_b", SpecFixtures.BANK_B.identity().publicKey()));

    InputSpec a = spec.party("bank_a").input();
    assertThat(a.format()).isEqualTo("parquet");
    assertThat(a.path()).isEqualTo("hdfs://nn/data/bank_a/customers");
    assertThat(a.table()).isNull();
    assertThat(a.keyColumns()).containsExactly("id");
    assertThat(a.columns()).as("null means: keep every column").isNull();
    assertThat(a.options()).isEmpty();
    assertThat(a.schema()).isEmpty();
    assertThat(spec.party("bank_a").output()).isEqualTo(new OutputSpec("hdfs://nn/out/bank_a", "parquet"));
    assertThat(spec.party("bank_b").output()).isEqualTo(new OutputSpec("s3a://bank-b/out", "parquet"));

    PsiSpec psi = spec.settings(PsiSpec.class);
    assertThat(psi.mode()).isEqualTo(PsiMode.ROWS);
    assertThat(psi.recipients()).containsExactly("bank_a", "bank_b");
    assertThat(psi.normalization()).isEqualTo(KeyNormalization.DEFAULT);
    assertThat(psi.partitions()).isEqualTo(PsiOptions.DEFAULT_PARTITIONS);
    assertThat(psi.batchRows()).isEqualTo(PsiOptions.DEFAULT_BATCH_ROWS);

    // The defaults are part of the contract: they are written out in the canonical form.
    assertThat(spec.canonicalJson())
        .contains("\"version\":1")
        .contains("\"period\":null")
        .contains("\"peerTimeoutMs\":" + JobSpec.DEFAULT_PEER_TIMEOUT_MS)
        .contains("\"mode\":\"rows\"")
        .contains("\"recipients\":[\"bank_a\",\"bank_b\"]")
        .contains("\"normalize\":{\"case\":\"none\",\"trim\":true}")
        .contains("\"partitions\":" + PsiOptions.DEFAULT_PARTITIONS)
        .contains("\"batchRows\":" + PsiOptions.DEFAULT_BATCH_ROWS)
        .contains("\"output\":{\"format\":\"parquet\",\"path\":\"hdfs://nn/out/bank_a\"}");
  }

  @Test
  void fullSpecParsesEveryField() {
    JobSpec spec = parse(fullSpec());

    assertThat(spec.period()).contains("2026-11");
    assertThat(spec.peerTimeoutMs()).isEqualTo(600_000);
    InputSpec a = spec.party("bank_a").input();
    assertThat(a.keyColumns()).containsExactly("national_id", "birth_date");
    assertThat(a.columns()).containsExactly("segment");
    assertThat(a.schema()).containsExactly(Map.entry("national_id", "string"), Map.entry("birth_date", "date"));
    InputSpec b = spec.party("bank_b").input();
    assertThat(b.format()).isEqualTo("csv");
    assertThat(b.options()).containsExactly(Map.entry("delimiter", ";"), Map.entry("header", "true"));
    assertThat(b.keyColumns()).containsExactly("nid", "dob");
    assertThat(spec.party("bank_b").output()).isEqualTo(new OutputSpec("s3a://bank-b/out", "csv"));
    assertThat(spec.settings(PsiSpec.class).normalization()).isEqualTo(new KeyNormalization(true, KeyNormalization.CaseMode.LOWER));
    assertThat(spec.settings(PsiSpec.class).partitions()).isEqualTo(16);
    assertThat(spec.settings(PsiSpec.class).batchRows()).isEqualTo(2048);
  }

  @Test
  void recipientsAreASetTheirOrderDoesNotChangeTheContract() {
    String ab = minimalSpec() + "psi:\n  recipients: [bank_a, bank_b]\n";
    String ba = minimalSpec() + "psi:\n  recipients: [bank_b, bank_a]\n";
    assertThat(parse(ab).contractHash()).isEqualTo(parse(ba).contractHash());
    assertThat(parse(ba).settings(PsiSpec.class).recipients()).containsExactly("bank_a", "bank_b");
  }

  @Test
  void spellingOutTheDefaultsGivesTheSameContract() {
    String explicit = minimalSpec()
        .replace("      path: hdfs://nn/out/bank_a\n", "      path: hdfs://nn/out/bank_a\n      format: parquet\n")
        .replace("      path: s3a://bank-b/out\n", "      path: s3a://bank-b/out\n      format: PARQUET\n")
        + String.join("\n",
            "version: 1",
            "period: null",
            "peerTimeoutMs: " + JobSpec.DEFAULT_PEER_TIMEOUT_MS,
            "psi:",
            "  mode: ROWS",
            "  recipients: [bank_a, bank_b]",
            "  normalize: {trim: true, case: none}",
            "  partitions: " + PsiOptions.DEFAULT_PARTITIONS,
            "  batchRows: " + PsiOptions.DEFAULT_BATCH_ROWS,
            "");
    assertThat(explicit).isNotEqualTo(minimalSpec());
    assertThat(parse(explicit).canonicalJson()).isEqualTo(parse(minimalSpec()).canonicalJson());
    assertThat(parse(explicit).contractHash()).isEqualTo(parse(minimalSpec()).contractHash());
  }

  @Test
  void contractHashIsSha256OfTheCanonicalJsonAndTheJobIdDerivesFromIt() throws Exception {
    JobSpec spec = parse(fullSpec());
    byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
        .digest(spec.canonicalJson().getBytes(StandardCharsets.UTF_8));
    assertThat(spec.contractHash()).isEqualTo(HexFormat.of().formatHex(digest)).hasSize(64);
    byte[] id = java.security.MessageDigest.getInstance("SHA-256")
        .digest(("veil-job/v1|" + spec.contractHash()).getBytes(StandardCharsets.UTF_8));
    assertThat(spec.jobId()).isEqualTo(HexFormat.of().formatHex(id).substring(0, 32)).matches("[0-9a-f]{32}");
  }

  @Test
  void canonicalJsonHasSortedKeysAndNoInsignificantWhiteSpace() throws Exception {
    String json = parse(fullSpec()).canonicalJson();
    assertThat(json).doesNotContain("\n", "\r", "\t", ": ", ", ", "{ ", " }");
    JsonNode tree = new ObjectMapper().readTree(json);
    assertSortedKeys(tree, "$");
    // Re-serialising the tree changes nothing: the text is already in its one canonical form.
    assertThat(new ObjectMapper().writeValueAsString(tree)).isEqualTo(json);
  }

  private static void assertSortedKeys(JsonNode node, String where) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      assertThat(names).as("keys of %s", where).isSorted();
      for (String n : names) {
        assertSortedKeys(node.get(n), where + "." + n);
      }
    } else if (node.isArray()) {
      int i = 0;
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); i++) {
        assertSortedKeys(it.next(), where + "[" + i + "]");
      }
    }
  }

  @Test
  void canonicalJsonIsItselfAValidSpecWithTheSameContract() {
    JobSpec spec = parse(fullSpec());
    JobSpec again = parse(spec.canonicalJson());
    assertThat(again.canonicalJson()).isEqualTo(spec.canonicalJson());
    assertThat(again.jobId()).isEqualTo(spec.jobId());
  }

  // ---------------------------------------------------------------- stability of the contract hash

  /** The full spec rewritten as JSON (which is YAML) in flow style, keys in another order. */
  private static String fullSpecAsReorderedJson() {
    return "{\"psi\": {\"batchRows\": 2048, \"partitions\": 16, \"normalize\": {\"case\": \"lower\", \"trim\": true},"
        + " \"recipients\": [\"bank_a\", \"bank_b\"], \"mode\": \"rows\"},"
        + " \"parties\": ["
        + "  {\"output\": {\"format\": \"parquet\", \"path\": \"hdfs://nn/out/bank_a\"},"
        + "   \"input\": {\"schema\": {\"birth_date\": \"date\", \"national_id\": \"string\"}, \"columns\": [\"segment\"],"
        + "     \"keyColumns\": [\"national_id\", \"birth_date\"], \"path\": \"hdfs://nn/data/bank_a/customers\","
        + "     \"format\": \"parquet\"},"
        + "   \"publicKey\": \"" + keyA() + "\", \"id\": \"bank_a\"},"
        + "  {\"publicKey\": \"" + keyB() + "\", \"id\": \"bank_b\","
        + "   \"output\": {\"path\": \"s3a://bank-b/out\", \"format\": \"csv\"},"
        + "   \"input\": {\"keyColumns\": [\"nid\", \"dob\"], \"options\": {\"delimiter\": \";\", \"header\": \"true\"},"
        + "     \"schema\": {\"dob\": \"date\", \"nid\": \"string\"}, \"path\": \"s3a://bank-b/customers.csv\","
        + "     \"format\": \"csv\"}}],"
        + " \"peerTimeoutMs\": 600000, \"operator\": \"psi\", \"period\": \"2026-11\", \"name\": \"customer-overlap\","
        + " \"version\": 1}";
  }

  /** The full spec with extra comments, other indentation, quoting and flow-style collections. */
  private static String fullSpecRestyled() {
    return String.join("\n",
        "# Customer overlap between two banks.",
        "",
        "name:     \"customer-overlap\"   # the job's name",
        "period: '2026-11'",
        "version: 1",
        "operator: PSI",
        "psi: {mode: ROWS, recipients: [bank_a, bank_b], normalize: {case: LOWER, trim: true},",
        "      partitions: 16, batchRows: 2048}",
        "peerTimeoutMs: 600000",
        "parties:",
        "- id: bank_a",
        "  publicKey: '" + keyA() + "'",
        "  # bank_a's customers",
        "  input:",
        "      keyColumns:",
        "        - national_id",
        "        - birth_date",
        "      format: PARQUET",
        "      path: hdfs://nn/data/bank_a/customers",
        "      columns: [ segment ]",
        "      schema: {birth_date: date, national_id: string}",
        "  output: {path: 'hdfs://nn/out/bank_a'}",
        "- publicKey: " + keyB(),
        "  id: bank_b",
        "  output: {format: csv, path: s3a://bank-b/out}",
        "  input:",
        "    schema: {nid: string, dob: date}",
        "    keyColumns: [nid, dob]",
        "    options: {header: 'true', delimiter: ';'}",
        "    path: s3a://bank-b/customers.csv",
        "    format: csv",
        "");
  }

  @Test
  void keyOrderWhiteSpaceCommentsAndStyleDoNotChangeTheContract() {
    JobSpec base = parse(fullSpec());
    for (String variant : List.of(fullSpecAsReorderedJson(), fullSpecRestyled(), fullSpec().replace("\n", "\r\n"))) {
      JobSpec v = parse(variant);
      assertThat(v.canonicalJson()).isEqualTo(base.canonicalJson());
      assertThat(v.contractHash()).isEqualTo(base.contractHash());
      assertThat(v.jobId()).isEqualTo(base.jobId());
    }
  }

  static Stream<Arguments> semanticChanges() {
    return Stream.of(
        Arguments.of("a key column", "keyColumns: [nid, dob]", "keyColumns: [nid, date_of_birth]"),
        Arguments.of("key column order", "keyColumns: [national_id, birth_date]",
            "keyColumns: [birth_date, national_id]"),
        Arguments.of("an input path", "path: hdfs://nn/data/bank_a/customers", "path: hdfs://nn/data/bank_a/all"),
        Arguments.of("an output path", "path: s3a://bank-b/out", "path: s3a://bank-b/out2"),
        Arguments.of("an input format", "format: csv\n      path: s3a", "format: json\n      path: s3a"),
        Arguments.of("an output format", "format: csv\npsi:", "format: parquet\npsi:"),
        Arguments.of("a reader option", "delimiter: ';'", "delimiter: ','"),
        Arguments.of("a declared type", "dob: date", "dob: string"),
        Arguments.of("the output columns", "columns: [segment]", "columns: [segment, income]"),
        Arguments.of("a recipient", "recipients: [bank_a, bank_b]", "recipients: [bank_a]"),
        Arguments.of("the mode", "mode: rows", "mode: cardinality"),
        Arguments.of("case normalisation", "case: lower", "case: upper"),
        Arguments.of("trim normalisation", "trim: true", "trim: false"),
        Arguments.of("partitions", "partitions: 16", "partitions: 17"),
        Arguments.of("batchRows", "batchRows: 2048", "batchRows: 2049"),
        Arguments.of("the period", "period: 2026-11", "period: 2026-12"),
        Arguments.of("no period", "period: 2026-11\n", ""),
        Arguments.of("peerTimeoutMs", "peerTimeoutMs: 600000", "peerTimeoutMs: 600001"),
        Arguments.of("the name", "name: customer-overlap", "name: customer-overlap-2"),
        Arguments.of("a party id", "id: bank_b", "id: bank_c"),
        Arguments.of("a pinned key", "publicKey: " + keyB(), "publicKey: " + keyC()));
  }

  @ParameterizedTest(name = "changing {0} changes the contract hash")
  @MethodSource("semanticChanges")
  void everySemanticChangeChangesTheContractHash(String what, String from, String to) {
    JobSpec base = parse(fullSpec());
    String changedText = replaceOnce(fullSpec(), from, to);
    if (what.equals("a party id")) {
      changedText = changedText.replace("recipients: [bank_a, bank_b]", "recipients: [bank_a, bank_c]");
    }
    JobSpec changed = parse(changedText);
    assertThat(changed.contractHash()).isNotEqualTo(base.contractHash());
    assertThat(changed.jobId()).isNotEqualTo(base.jobId());
  }

  @Test
  void allSemanticChangesGiveDistinctContracts() {
    Set<String> hashes = new HashSet<>();
    hashes.add(parse(fullSpec()).contractHash());
    List<Arguments> changes = semanticChanges().toList();
    for (Arguments a : changes) {
      Object[] x = a.get();
      if (x[0].equals("a party id")) {
        continue; // needs a second edit, covered above
      }
      hashes.add(parse(replaceOnce(fullSpec(), (String) x[1], (String) x[2])).contractHash());
    }
    assertThat(hashes).hasSize(changes.size()); // base + every change but the skipped one
  }

  // ---------------------------------------------------------------- periods

  @Test
  void periodOverrideChangesTheJobIdAndIsRepeatable() {
    JobSpec none = JobSpec.parse(minimalSpec(), SOURCE, null);
    JobSpec nov = JobSpec.parse(minimalSpec(), SOURCE, "2026-11");
    JobSpec novAgain = JobSpec.parse(minimalSpec(), SOURCE, "2026-11");
    JobSpec dec = JobSpec.parse(minimalSpec(), SOURCE, "2026-12");

    assertThat(nov.period()).contains("2026-11");
    assertThat(Set.of(none.jobId(), nov.jobId(), dec.jobId())).hasSize(3);
    assertThat(novAgain.jobId()).isEqualTo(nov.jobId());
    assertThat(novAgain.contractHash()).isEqualTo(nov.contractHash());
    assertThat(none.controlLogName()).isEqualTo("ctl.customer-overlap");
    assertThat(nov.controlLogName()).isEqualTo("ctl.customer-overlap.2026-11");
  }

  @Test
  void periodOverrideReplacesThePeriodWrittenInTheSpec() {
    String withPeriod = "period: 2026-10\n" + minimalSpec();
    JobSpec overridden = JobSpec.parse(withPeriod, SOURCE, "2026-11");
    assertThat(overridden.period()).contains("2026-11");
    assertThat(overridden.contractHash()).isEqualTo(JobSpec.parse(minimalSpec(), SOURCE, "2026-11").contractHash());
    assertThat(JobSpec.parse(withPeriod, SOURCE, null).period()).contains("2026-10");
  }

  @Test
  void badPeriodOverrideIsRefused() {
    assertThatThrownBy(() -> JobSpec.parse(minimalSpec(), SOURCE, "../2026"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'period'");
  }

  // ---------------------------------------------------------------- errors

  static Stream<Arguments> invalidSpecs() {
    String m = minimalSpec();
    String bankB = m.substring(m.indexOf("  - id: bank_b"));
    String bankC = bankB.replace("id: bank_b", "id: bank_c").replace(keyB(), keyC());
    String badPoint = "ed25519:" + Base64.getUrlEncoder().withoutPadding().encodeToString(filled(32, (byte) 0xff));
    String short31 = "ed25519:" + Base64.getUrlEncoder().withoutPadding().encodeToString(filled(31, (byte) 1));
    return Stream.of(
        // unknown fields, at every level
        bad("unknown top-level field", m + "colour: red\n", "unknown field 'colour'"),
        bad("unknown party field", replaceOnce(m, "  - id: bank_a\n", "  - id: bank_a\n    role: initiator\n"),
            "unknown field 'parties[0].role'"),
        bad("unknown input field", replaceOnce(m, "keyColumns: [id]", "keyColumn: [id]"),
            "unknown field 'parties[0].input.keyColumn'"),
        bad("unknown output field", replaceOnce(m, "path: s3a://bank-b/out", "path: s3a://bank-b/out\n      mode: x"),
            "unknown field 'parties[1].output.mode'"),
        bad("unknown psi field", m + "psi:\n  minGroupSize: 5\n", "unknown field 'psi.minGroupSize'"),
        bad("unknown normalize field", m + "psi:\n  normalize:\n    unicode: nfc\n",
            "unknown field 'psi.normalize.unicode'"),
        // top level
        bad("missing name", replaceOnce(m, "name: customer-overlap\n", ""), "'name' is required"),
        bad("bad name", replaceOnce(m, "name: customer-overlap", "name: customer overlap"), "'name'"),
        bad("bad period", "period: 2026/11\n" + m, "'period'"),
        bad("other version", "version: 2\n" + m, "'version'"),
        bad("missing operator", replaceOnce(m, "operator: psi\n", ""), "'operator' is required"),
        bad("unknown operator", replaceOnce(m, "operator: psi", "operator: sum"), "'operator'"),
        bad("peerTimeoutMs too small", m + "peerTimeoutMs: 10\n", "'peerTimeoutMs'"),
        bad("peerTimeoutMs not a number", m + "peerTimeoutMs: soon\n", "'peerTimeoutMs'"),
        // parties
        bad("no parties", m.substring(0, m.indexOf("parties:")) + "parties: []\n", "'parties'"),
        bad("parties not a list", m.substring(0, m.indexOf("parties:")) + "parties: bank_a\n", "'parties'"),
        bad("bad party id", replaceOnce(m, "id: bank_a", "id: Bank A"), "'parties[0].id'"),
        bad("party id of the control topics", replaceOnce(m, "id: bank_b", "id: ctl"),
            "'parties[1].id' is 'ctl', which names the control topics"),
        bad("missing party id", replaceOnce(m, "  - id: bank_a\n    publicKey:", "  - publicKey:"),
            "'parties[0].id' is required"),
        bad("duplicate party", replaceOnce(m, "id: bank_b", "id: bank_a"), "'parties[1].id' repeats party 'bank_a'"),
        bad("key without prefix", replaceOnce(m, "publicKey: " + keyA(), "publicKey: " + keyA().substring(8)),
            "'parties[0].publicKey'"),
        bad("key not base64url", replaceOnce(m, "publicKey: " + keyA(), "publicKey: ed25519:not*base64"),
            "'parties[0].publicKey'"),
        bad("key too short", replaceOnce(m, "publicKey: " + keyA(), "publicKey: " + short31),
            "'parties[0].publicKey'"),
        bad("key not a curve point", replaceOnce(m, "publicKey: " + keyA(), "publicKey: " + badPoint),
            "'parties[0].publicKey'"),
        bad("missing key", replaceOnce(m, "    publicKey: " + keyA() + "\n", ""), "'parties[0].publicKey' is required"),
        bad("duplicate key", replaceOnce(m, "publicKey: " + keyB(), "publicKey: " + keyA()),
            "'parties[1].publicKey' is the same key as another party's"),
        bad("one party", m.substring(0, m.indexOf("  - id: bank_b")), "'parties'", "exactly 2"),
        bad("three parties", m + bankC, "'parties'", "exactly 2"),
        // inputs
        bad("missing input", replaceOnce(m, "    input:\n      format: parquet\n      path: hdfs://nn/data/bank_a/customers\n"
            + "      keyColumns: [id]\n", ""), "'parties[bank_a].input' is required"),
        bad("input not a mapping", replaceOnce(m, "    input:\n      format: parquet\n      path: hdfs://nn/data/bank_a/customers\n"
            + "      keyColumns: [id]\n", "    input: hdfs://nn/data\n"), "'parties[0].input' must be a mapping"),
        bad("missing format", replaceOnce(m, "      format: parquet\n", ""), "'parties[0].input.format' is required"),
        bad("bad format", replaceOnce(m, "format: csv", "format: xlsx"), "'parties[1].input.format'", "xlsx"),
        bad("missing path", replaceOnce(m, "      path: s3a://bank-b/customers.csv\n", ""),
            "'parties[1].input.path' is required for format csv"),
        bad("table format without table", replaceOnce(m, "format: csv", "format: table"),
            "'parties[1].input.table' is required"),
        bad("jdbc format without table", replaceOnce(m, "format: csv", "format: jdbc"),
            "'parties[1].input.table' is required"),
        bad("missing keyColumns", replaceOnce(m, "      keyColumns: [id]\n", ""), "'parties[bank_a].input.keyColumns' is required"),
        bad("empty keyColumns", replaceOnce(m, "keyColumns: [id]", "keyColumns: []"), "'parties[bank_a].input.keyColumns' is required"),
        bad("keyColumns a mapping", replaceOnce(m, "keyColumns: [id]", "keyColumns: {id: 1}"),
            "'parties[0].input.keyColumns' must be a list"),
        bad("composite key length mismatch", replaceOnce(m, "keyColumns: [id]", "keyColumns: [id, birth_date]"),
            "'parties[bank_b].input.keyColumns'", "composite keys must match in length"),
        bad("password in input options", replaceOnce(m, "format: csv\n", "format: csv\n      options:\n        password: hunter2\n"),
            "'parties[1].input.options.password'"),
        bad("jdbc password in input options",
            replaceOnce(m, "format: csv\n", "format: csv\n      options:\n        jdbcPassword: hunter2\n"),
            "'parties[1].input.options.jdbcPassword'"),
        bad("storage secret in input options",
            replaceOnce(m, "format: csv\n", "format: csv\n      options:\n        fs.s3a.secret.key: abc\n"),
            "'parties[1].input.options.fs.s3a.secret.key'"),
        bad("session token in input options",
            replaceOnce(m, "format: csv\n", "format: csv\n      options:\n        fs.s3a.session.token: abc\n"),
            "'parties[1].input.options.fs.s3a.session.token'"),
        bad("password inside a JDBC url", replaceOnce(replaceOnce(m, "format: csv", "format: jdbc"),
            "path: s3a://bank-b/customers.csv", "table: crm.customers\n      options:\n"
                + "        url: jdbc:postgresql://db:5432/crm?user=veil&password=hunter2"),
            "'parties[1].input.options.url' holds a password in its value"),
        bad("options not a mapping", replaceOnce(m, "format: csv\n", "format: csv\n      options: [header]\n"),
            "'parties[1].input.options' must be a mapping"),
        bad("nested option value", replaceOnce(m, "format: csv\n", "format: csv\n      options:\n        header: [a]\n"),
            "'parties[1].input.options.header' must be a text value"),
        // outputs
        bad("output missing for a rows recipient", replaceOnce(m, "    output:\n      path: s3a://bank-b/out\n", ""),
            "'parties[bank_b].output' is required"),
        bad("output without path", replaceOnce(m, "      path: s3a://bank-b/out\n", "      format: csv\n"),
            "'parties[1].output.path' is required"),
        bad("bad output format", replaceOnce(m, "      path: s3a://bank-b/out\n", "      path: s3a://bank-b/out\n      format: xlsx\n"),
            "'parties[1].output.format'"),
        // psi
        bad("psi not a mapping", m + "psi: rows\n", "'psi' must be a mapping"),
        bad("bad mode", m + "psi:\n  mode: intersection\n", "'psi.mode'"),
        bad("recipient not a party", m + "psi:\n  recipients: [bank_a, bank_c]\n", "'psi.recipients'", "'bank_c'"),
        bad("no recipients", m + "psi:\n  recipients: []\n", "'psi.recipients' is empty"),
        bad("duplicate recipient", m + "psi:\n  recipients: [bank_a, bank_a]\n", "'psi.recipients' names a party twice"),
        bad("bad case", m + "psi:\n  normalize:\n    case: title\n", "'psi.normalize.case'"),
        bad("trim not a boolean", m + "psi:\n  normalize:\n    trim: sometimes\n", "'psi.normalize.trim'"),
        bad("partitions zero", m + "psi:\n  partitions: 0\n", "'psi.partitions'"),
        bad("partitions too many", m + "psi:\n  partitions: 10001\n", "'psi.partitions'"),
        bad("partitions not an integer", m + "psi:\n  partitions: 2.5\n", "'psi.partitions'"),
        bad("batchRows zero", m + "psi:\n  batchRows: 0\n", "'psi.batchRows'"),
        // the document itself
        bad("not YAML", "name: [unclosed\n", "not valid YAML"),
        bad("empty document", "", "empty or not a mapping"),
        bad("scalar document", "just some text\n", "empty or not a mapping"),
        bad("list document", "- name: x\n", "empty or not a mapping"),
        bad("repeated top-level key", "name: other-job\n" + m, "Duplicate field 'name'"),
        bad("repeated nested key", replaceOnce(m, "      path: s3a://bank-b/customers.csv\n",
            "      path: s3a://bank-b/customers.csv\n      path: s3a://bank-b/other.csv\n"), "Duplicate field 'path'"));
  }

  private static byte[] filled(int n, byte b) {
    byte[] x = new byte[n];
    java.util.Arrays.fill(x, b);
    return x;
  }

  private static Arguments bad(String what, String yaml, String... fragments) {
    return Arguments.of(what, yaml, List.of(fragments));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSpecs")
  void invalidSpecIsRefusedWithAMessageNamingTheField(String what, String yaml, List<String> fragments) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read job spec " + SOURCE + ": ")
        .hasMessageContainingAll(fragments.toArray(String[]::new))
        .hasMessageEndingWith(".");
  }

  @Test
  void passwordValuesNeverAppearInTheMessage() {
    String yaml = replaceOnce(minimalSpec(), "format: csv\n", "format: csv\n      options:\n        password: hunter2\n");
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(InvalidInputException.class)
        .hasMessageNotContaining("hunter2")
        .hasMessageContaining("--jdbc-password-file");
    String inUrl = replaceOnce(replaceOnce(minimalSpec(), "format: csv", "format: jdbc"),
        "path: s3a://bank-b/customers.csv", "table: crm.customers\n      options:\n"
            + "        url: jdbc:postgresql://db:5432/crm?user=veil&password=hunter2");
    assertThatThrownBy(() -> parse(inUrl)).isInstanceOf(InvalidInputException.class)
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void ordinaryReaderOptionsAreKept() {
    String yaml = replaceOnce(replaceOnce(minimalSpec(), "format: csv", "format: jdbc"),
        "path: s3a://bank-b/customers.csv", "table: crm.customers\n      options:\n"
            + "        url: jdbc:postgresql://db:5432/crm\n        user: veil\n        fetchsize: 10000");
    assertThat(parse(yaml).party("bank_b").input().options())
        .containsExactly(Map.entry("fetchsize", "10000"), Map.entry("url", "jdbc:postgresql://db:5432/crm"),
            Map.entry("user", "veil"));
  }

  @Test
  void cardinalityModeNeedsNoOutput() {
    String yaml = replaceOnce(replaceOnce(minimalSpec(), "    output:\n      path: s3a://bank-b/out\n", ""),
        "    output:\n      path: hdfs://nn/out/bank_a\n", "") + "psi:\n  mode: cardinality\n";
    JobSpec spec = parse(yaml);
    assertThat(spec.settings(PsiSpec.class).mode()).isEqualTo(PsiMode.CARDINALITY);
    assertThat(spec.parties()).allSatisfy(p -> assertThat(p.output()).isNull());
  }

  @Test
  void psiProtocolDefaultsToEcdhAndOprfIsRowsOnly() {
    assertThat(parse(minimalSpec()).settings(PsiSpec.class).protocol()).isEqualTo(PsiSpec.Protocol.ECDH);
    String ecdh = minimalSpec() + "psi:\n  protocol: ecdh\n";
    assertThat(parse(ecdh).contractHash()).as("the default keeps older specs' contract hash")
        .isEqualTo(parse(minimalSpec()).contractHash());
    JobSpec oprf = parse(minimalSpec() + "psi:\n  protocol: OPRF\n");
    assertThat(oprf.settings(PsiSpec.class).protocol()).isEqualTo(PsiSpec.Protocol.OPRF);
    assertThat(oprf.contractHash()).isNotEqualTo(parse(minimalSpec()).contractHash());
    assertThat(oprf.canonicalJson()).contains("\"protocol\":\"oprf\"");
    assertThatThrownBy(() -> parse(minimalSpec() + "psi:\n  protocol: kkrt\n"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("psi.protocol")
        .hasMessageContaining("must be 'ecdh' or 'oprf'");
    assertThatThrownBy(() -> parse(minimalSpec() + "psi:\n  protocol: oprf\n  mode: cardinality\n"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("psi.protocol")
        .hasMessageContaining("mode 'rows' only");
  }

  @Test
  void rowsModeNeedsOutputOnlyAtRecipients() {
    String yaml = replaceOnce(minimalSpec(), "    output:\n      path: s3a://bank-b/out\n", "")
        + "psi:\n  recipients: [bank_a]\n";
    assertThat(parse(yaml).party("bank_b").output()).isNull();
  }

  @Test
  void tableAndJdbcInputsUseTableNames() {
    String yaml = replaceOnce(replaceOnce(minimalSpec(), "format: csv", "format: table"),
        "path: s3a://bank-b/customers.csv", "table: crm.customers");
    InputSpec in = parse(yaml).party("bank_b").input();
    assertThat(in.format()).isEqualTo("table");
    assertThat(in.table()).isEqualTo("crm.customers");
    assertThat(in.path()).isNull();
  }

  // ---------------------------------------------------------------- reading files, party lookup

  @Test
  void readsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("psi.yaml");
    Files.writeString(file, minimalSpec(), StandardCharsets.UTF_8);
    assertThat(JobSpec.read(file, null).contractHash()).isEqualTo(parse(minimalSpec()).contractHash());
    assertThat(JobSpec.read(file, "2026-11").period()).contains("2026-11");

    Files.writeString(file, minimalSpec() + "colour: red\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> JobSpec.read(file, null)).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read job spec " + file + ": unknown field 'colour'");
  }

  @Test
  void missingFileNamesTheSpecOption(@TempDir Path dir) {
    assertThatThrownBy(() -> JobSpec.read(dir.resolve("nope.yaml"), null))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("nope.yaml")
        .hasMessageContaining("--spec");
  }

  @Test
  void unknownPartyNamesTheParties() {
    JobSpec spec = parse(minimalSpec());
    assertThatThrownBy(() -> spec.party("bank_c"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'bank_c'")
        .hasMessageContaining("bank_a, bank_b")
        .hasMessageContaining("--party");
  }

  @Test
  void eachPartysKeyColumnsAreItsOwnAndTheSettingsAreShared() {
    JobSpec spec = parse(fullSpec());
    assertThat(spec.party("bank_a").input().keyColumns()).containsExactly("national_id", "birth_date");
    assertThat(spec.party("bank_b").input().keyColumns()).containsExactly("nid", "dob");
    PsiSpec psi = spec.settings(PsiSpec.class);
    assertThat(psi.mode()).isEqualTo(PsiMode.ROWS);
    assertThat(psi.recipients()).containsExactlyInAnyOrder("bank_a", "bank_b");
    assertThat(psi.normalization()).isEqualTo(new KeyNormalization(true, KeyNormalization.CaseMode.LOWER));
    assertThat(psi.partitions()).isEqualTo(16);
    assertThat(psi.batchRows()).isEqualTo(2048);
    assertThat(spec.peerTimeoutMs()).isEqualTo(600_000);
    assertThat(spec.secureOperator().name()).isEqualTo("psi");
    assertThatThrownBy(() -> spec.settings(AggregateSpec.class)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("its operator is psi");
  }

  // ---------------------------------------------------------------- the period in locations

  private static String periodicSpec() {
    String yaml = replaceOnce(minimalSpec(), "path: hdfs://nn/data/bank_a/customers",
        "path: hdfs://nn/data/bank_a/${period.year}/${period.month}/customers-${period}");
    yaml = replaceOnce(yaml, "path: hdfs://nn/out/bank_a", "path: hdfs://nn/out/bank_a/${period}");
    return replaceOnce(yaml, "      keyColumns: [customer_id]", String.join("\n",
        "      keyColumns: [customer_id]",
        "      options:",
        "        pathGlobFilter: '*-${period.year}${period.month}${period.day}.csv'"));
  }

  @Test
  void locationsNameThePeriodAndItsDateParts() {
    JobSpec spec = JobSpec.parse(periodicSpec(), SOURCE, "2026-11-30");

    assertThat(spec.party("bank_a").input().path()).isEqualTo("hdfs://nn/data/bank_a/2026/11/customers-2026-11-30");
    assertThat(spec.party("bank_a").output().path()).isEqualTo("hdfs://nn/out/bank_a/2026-11-30");
    assertThat(spec.party("bank_b").input().options()).containsEntry("pathGlobFilter", "*-20261130.csv");
    assertThat(spec.canonicalJson()).as("the contract holds the locations the period names")
        .contains("customers-2026-11-30").doesNotContain("${");
    assertThat(JobSpec.parse(periodicSpec(), SOURCE, "2026-12-31").contractHash())
        .isNotEqualTo(spec.contractHash());
  }

  @Test
  void aPeriodPlaceholderThatCannotBeFilledIsNamed() {
    String tableOut = replaceOnce(minimalSpec(), "      path: s3a://bank-b/out",
        "      format: table\n      table: reports.overlap_${period.day}");

    assertThatThrownBy(() -> parse(periodicSpec()))
        .as("no period").isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("parties[0].input.path").hasMessageContaining("--period");
    assertThatThrownBy(() -> JobSpec.parse(tableOut, SOURCE, "2026-11"))
        .as("no day in the period").hasMessageContaining("parties[1].output.table")
        .hasMessageContaining("${period.day}").hasMessageContaining("'2026-11'");
    assertThat(JobSpec.parse(tableOut, SOURCE, "2026-11-02").party("bank_b").output().table())
        .isEqualTo("reports.overlap_02");
    assertThatThrownBy(() -> JobSpec.parse(replaceOnce(minimalSpec(), "bank_a/customers", "${region}/customers"),
        SOURCE, "2026-11"))
        .hasMessageContaining("${region}").hasMessageContaining(PeriodTemplate.KNOWN);
    assertThatThrownBy(() -> JobSpec.parse(replaceOnce(minimalSpec(), "bank_a/customers", "${period/customers"),
        SOURCE, "2026-11"))
        .hasMessageContaining("unclosed");
    assertThat(JobSpec.parse(replaceOnce(minimalSpec(), "out/bank_a", "out/bank_a/${period}"), SOURCE, "q4-2026")
        .party("bank_a").output().path())
        .as("a period that is not a date fills ${period}").isEqualTo("hdfs://nn/out/bank_a/q4-2026");
  }
}
