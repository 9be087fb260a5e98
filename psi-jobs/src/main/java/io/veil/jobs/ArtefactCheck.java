package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.connectors.input.PartyInputs;
import io.veil.job.JobOutputs;
import io.veil.ledger.EntryCheck;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.Receipt;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.SparkErrors;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Recomputes, for each receipt of a job, the commitments to the party's input and output from the
 * artefacts named in the spec, and the contract hash from the spec itself; reports each mismatch
 * naming the artefact. Used by {@code veil verify --spec ... --party ...}.
 */
public final class ArtefactCheck implements EntryCheck {
  private final SparkSession spark;
  private final JobSpec spec;
  private final PartySpec party;
  private final Path jdbcPasswordFile;

  public ArtefactCheck(SparkSession spark, JobSpec spec, String party, Path jdbcPasswordFile) {
    this.spark = spark;
    this.spec = spec;
    this.party = spec.party(party);
    this.jdbcPasswordFile = jdbcPasswordFile;
  }

  @Override
  public String passes() {
    return "the contract hash and this party's input and output commitments recompute from the spec "
        + "and the artefacts";
  }

  @Override
  public List<String> check(LedgerEntry entry) {
    Receipt r = entry.receipt();
    List<String> problems = new ArrayList<>();
    if (!r.jobId().equals(spec.jobId())) {
      return problems; // another job's receipt
    }
    if (!r.contractHash().equals(spec.contractHash())) {
      problems.add("artefact spec does not match the contract hash in the receipt (spec hashes to "
          + spec.contractHash() + ")");
    }
    if (r.inputCommitment() != null) {
      compare("input " + describe(party.input().path(), party.input().table()), () -> PartyInputs.open(spark,
          party.input(), party.id(), new PartyInputs.Secrets(jdbcPasswordFile)), r.inputCommitment(), problems);
    }
    if (r.outputCommitment() != null && party.output() != null) {
      compare("output " + party.output().location(), () -> JobOutputs.read(spark, party.output()),
          r.outputCommitment(), problems);
    }
    return problems;
  }

  private static void compare(String what, Supplier<Dataset<Row>> data, Receipt.Commitment c,
      List<String> problems) {
    if (!DatasetCommitment.known(c.algorithm())) {
      problems.add("artefact " + what + " is committed under '" + c.algorithm() + "', which this release of Veil "
          + "does not recompute (" + DatasetCommitment.knownAlgorithms() + "): verify it with the release that "
          + "wrote the receipt");
      return;
    }
    DatasetCommitment.Commitment now;
    try {
      now = DatasetCommitment.compute(data.get(), HexFormat.of().parseHex(c.salt()), c.algorithm());
    } catch (Exception e) { // SparkException is checked in Java's eyes but thrown undeclared
      RuntimeException err = SparkErrors.unwrap(e);
      if (err instanceof InvalidInputException unreadable) { // e.g. a file failing its checksum
        problems.add("artefact " + what + " cannot be read: " + unreadable.getMessage());
        return;
      }
      throw err;
    }
    if (!now.rootHex().equals(c.root()) || now.rowCount() != c.rows()) {
      problems.add("artefact " + what + " does not match its commitment (" + now.rowCount() + " rows now, "
          + c.rows() + " committed): it changed after the job ran");
    }
  }

  private static String describe(String path, String table) {
    return path != null ? path : table;
  }
}
