package io.veil.spec;

import io.veil.crypto.PartySecret;
import java.security.SecureRandom;

/** Party keys and a valid two-bank PSI spec and policies, as text, for the spec tests. */
final class SpecFixtures {
  private SpecFixtures() {}

  static final PartySecret BANK_A = PartySecret.generate("bank_a", new SecureRandom());
  static final PartySecret BANK_B = PartySecret.generate("bank_b", new SecureRandom());
  static final PartySecret BANK_C = PartySecret.generate("bank_c", new SecureRandom());

  static String keyA() {
    return BANK_A.identity().publicKey().encoded();
  }

  static String keyB() {
    return BANK_B.identity().publicKey().encoded();
  }

  static String keyC() {
    return BANK_C.identity().publicKey().encoded();
  }

  /**
   * The smallest valid PSI spec: every optional field left out, so that parsing must fill in the
   * defaults (rows mode, both parties receive, parquet output, trim, no case folding, ...).
   */
  static String minimalSpec() {
    return String.join("\n",
        "name: customer-overlap",
        "operator: psi",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + keyA(),
        "    input:",
        "      format: parquet",
        "      path: hdfs://nn/data/bank_a/customers",
        "      keyColumns: [id]",
        "    output:",
        "      path: hdfs://nn/out/bank_a",
        "  - id: bank_b",
        "    publicKey: " + keyB(),
        "    input:",
        "      format: csv",
        "      path: s3a://bank-b/customers.csv",
        "      keyColumns: [customer_id]",
        "    output:",
        "      path: s3a://bank-b/out",
        "");
  }

  /** A spec using every field, with explicit values that differ from the defaults where possible. */
  static String fullSpec() {
    return String.join("\n",
        "# a comment",
        "version: 1",
        "name: customer-overlap",
        "period: 2026-11",
        "operator: psi",
        "peerTimeoutMs: 600000",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + keyA(),
        "    input:",
        "      format: parquet",
        "      path: hdfs://nn/data/bank_a/customers",
        "      keyColumns: [national_id, birth_date]",
        "      columns: [segment]",
        "      schema:",
        "        national_id: string",
        "        birth_date: date",
        "    output:",
        "      path: hdfs://nn/out/bank_a",
        "      format: parquet",
        "  - id: bank_b",
        "    publicKey: " + keyB(),
        "    input:",
        "      format: csv",
        "      path: s3a://bank-b/customers.csv",
        "      options:",
        "        header: 'true'",
        "        delimiter: ';'",
        "      keyColumns: [nid, dob]",
        "      schema:",
        "        nid: string",
        "        dob: date",
        "    output:",
        "      path: s3a://bank-b/out",
        "      format: csv",
        "psi:",
        "  mode: rows",
        "  recipients: [bank_a, bank_b]",
        "  normalize:",
        "    trim: true",
        "    case: lower",
        "  partitions: 16",
        "  batchRows: 2048",
        "");
  }

  /**
   * An aggregate spec: bank_a and bank_b contribute inputs, bank_c receives the totals; {@code
   * section} is the body of the {@code aggregate} section, e.g. {@link #AGGREGATE_SECTION}.
   */
  static String aggregateSpec(String section) {
    return String.join("\n",
        "name: report",
        "operator: aggregate",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + keyA(),
        "    input: {format: csv, path: a.csv}",
        "  - id: bank_b",
        "    publicKey: " + keyB(),
        "    input: {format: csv, path: b.csv}",
        "  - id: bank_c",
        "    publicKey: " + keyC(),
        "    output: {path: out}",
        "aggregate:",
        section);
  }

  /** Groups by region (values) and age (buckets), sums amount; the result party is bank_c. */
  static final String AGGREGATE_SECTION = String.join("\n",
      "  resultParty: bank_c",
      "  groupBy:",
      "    - {column: region, values: [north, south]}",
      "    - {column: age, buckets: {from: 20, to: 65, width: 10}}",
      "  sums:",
      "    - {column: amount, maxAbs: 1000000, scale: 2}");

  /**
   * A feature aggregation: bank_a (keys [id], features [z0, z1]) receives the sum; bank_b (keys
   * [cid], features [h0, h1]) contributes.
   */
  static String featureAggregateSpec() {
    return String.join("\n",
        "name: vfl",
        "operator: feature-aggregate",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + keyA(),
        "    input: {format: parquet, path: a, keyColumns: [id], columns: [z0, z1]}",
        "    output: {path: out}",
        "  - id: bank_b",
        "    publicKey: " + keyB(),
        "    input: {format: parquet, path: b, keyColumns: [cid], columns: [h0, h1]}",
        "featureAggregate: {resultParty: bank_a, dims: 2, maxAbs: 1000}");
  }

  /** bank_a's policy that allows {@link #minimalSpec()} and {@link #fullSpec()}. */
  static String policyA() {
    return String.join("\n",
        "party: bank_a",
        "peers:",
        "  - id: bank_b",
        "    publicKey: " + keyB(),
        "operators: [psi]",
        "outputRecipients: [bank_a, bank_b]",
        "");
  }

  /** Replaces exactly one occurrence of {@code from}; fails the test if it is not there once. */
  static String replaceOnce(String text, String from, String to) {
    int i = text.indexOf(from);
    if (i < 0 || text.indexOf(from, i + 1) >= 0) {
      throw new AssertionError("fixture text must contain '" + from + "' exactly once");
    }
    return text.substring(0, i) + to + text.substring(i + from.length());
  }
}
