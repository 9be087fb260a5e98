package io.veil.jobs.report;

import io.veil.InvalidInputException;
import io.veil.crypto.IdentityPublicKey;
import io.veil.job.JobOutputs;
import io.veil.job.Leakage;
import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LedgerHead;
import io.veil.ledger.LedgerVerifier;
import io.veil.ledger.Receipt;
import io.veil.ledger.SpecApprovalCheck;
import io.veil.ledger.VerificationReport;
import io.veil.ledger.chain.AnchorReport;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.ChainVerifier;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.AggregateSpec;
import io.veil.spec.JobSpec;
import io.veil.spec.OutputSpec;
import io.veil.spec.PartySpec;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What {@code veil report} shows: one job, or a series of periods of the same job, from one party's
 * receipt ledger and that party's outputs, checked before anything is shown. {@link #collect}
 * gathers it; {@link ReportPage} renders it as one self-contained HTML file.
 *
 * <p><b>What is checked.</b> The whole ledger ({@link LedgerVerifier}: hash chain, receipt hashes,
 * the party's signatures, every approval), and for each selected period: that its receipt's
 * contract hash is the one a given spec hashes to for that period (so the spec's settings are the
 * ones that ran), that every party of the spec approved it with its pinned key ({@link
 * SpecApprovalCheck}), that the output is where the receipt says, and that the output, read back
 * now, still has the commitment recorded in the receipt (so the figures on the page are the ones
 * the party signed and, with a chain, anchored); with a chain client, also each receipt against its
 * anchor on the chain. Each failure is a {@link #problems() problem};
 * {@link #verified()} is true only when there are none.
 *
 * <p>Figures come from the receipts (headline figures of every operator) and, for {@code
 * aggregate}, from the result party's output table: one row per group of the declared domain,
 * suppressed groups with {@code suppressed = true} and no count or sums.
 */
public final class JointReport {
  /** Largest output table read for charts (aggregate outputs have one row per group of the domain). */
  static final int MAX_GROUP_ROWS = 5_000;

  private final String jobName;
  private final String operator;
  private final String party;
  private final Path ledger;
  private final VerificationReport ledgerReport;
  private final List<PeriodResult> periods;
  private final List<Leakage> leakage;
  private final List<String> problems;
  private final AggregateLayout aggregate;
  private final Instant generatedAt;

  private JointReport(String jobName, String operator, String party, Path ledger, VerificationReport ledgerReport,
      List<PeriodResult> periods, List<Leakage> leakage, List<String> problems, AggregateLayout aggregate) {
    this.jobName = jobName;
    this.operator = operator;
    this.party = party;
    this.ledger = ledger;
    this.ledgerReport = ledgerReport;
    this.periods = List.copyOf(periods);
    this.leakage = List.copyOf(leakage);
    this.problems = List.copyOf(problems);
    this.aggregate = aggregate;
    this.generatedAt = Instant.now();
  }

  /** How the periods to report are chosen. */
  public record Selection(List<String> periods, boolean all) {
    public Selection {
      periods = List.copyOf(periods);
    }

    /** The job of a spec without periods (or of the spec's own period). */
    public static Selection specPeriod() {
      return new Selection(List.of(), false);
    }
  }

  /** One period's job: its receipt, where it is in the ledger and on the chain, and its results. */
  public record PeriodResult(
      String period,
      JobSpec spec,
      Path specFile,
      LedgerEntry entry,
      Optional<ReceiptAnchor> anchor,
      String jobRoot,
      Optional<List<GroupRow>> groups,
      Check outputCheck,
      List<String> approvalProblems,
      Optional<Check> anchorCheck) {

    public Receipt receipt() {
      return entry.receipt();
    }

    /** The period as shown: the period, or "(no period)". */
    public String label() {
      return period == null ? "(no period)" : period;
    }
  }

  /** Whether a check passed, and what it found. */
  public record Check(boolean ok, String text) {}

  /**
   * One group of an aggregate output.
   *
   * @param keys the group's values, one per group column
   * @param suppressed whether the group was suppressed (fewer rows than the minimum group size)
   * @param values {@code count} then each sum, exactly as in the output; nulls for a suppressed group
   */
  public record GroupRow(List<String> keys, boolean suppressed, List<BigDecimal> values) {}

  /** The column layout of an aggregate job's output. */
  public record AggregateLayout(List<String> groupColumns, List<String> measures, int minGroupSize, String dp) {}

  /**
   * Checks and gathers a report.
   *
   * @param specFiles the job spec; several when the periods ran with different spec files (each
   *     receipt is matched with the spec that hashes to its contract for its period)
   * @param ledgerFile the party's ledger
   * @param party whose ledger it is (null: the party its receipts are for)
   * @param selection which periods
   * @param expectHead a head recorded earlier (null: none)
   * @param spark a session to read the outputs with (started only when an output is read)
   * @param chain a client of the chain the party anchors on: each period's anchor is then checked on chain
   *     ({@link ChainVerifier}), and a receipt never anchored is a problem; null: anchors are shown as the
   *     party's outbox records them, unchecked
   */
  public static JointReport collect(List<Path> specFiles, Path ledgerFile, String party, Selection selection,
      LedgerHead expectHead, Supplier<SparkSession> spark, ChainClient chain) {
    if (specFiles.isEmpty()) {
      throw new InvalidInputException("Cannot make the report: no job spec is given. Pass --spec FILE.");
    }
    JobSpec base = JobSpec.read(specFiles.get(0), null);
    for (Path f : specFiles.subList(1, specFiles.size())) {
      JobSpec other = JobSpec.read(f, null);
      if (!other.name().equals(base.name()) || !other.operator().equals(base.operator())) {
        throw new InvalidInputException("Cannot make the report: spec " + f + " is job '" + other.name() + "' ("
            + other.operator() + ") but " + specFiles.get(0) + " is job '" + base.name() + "' (" + base.operator()
            + "). A report covers periods of one job: pass the specs of that job only.");
      }
    }
    String who = party != null ? party : ledgerParty(ledgerFile);
    PartySpec me = base.party(who);
    IdentityPublicKey signer = me.publicKey();
    // The whole ledger is verified first; receipts are chosen among its readable entries, and whatever fails is
    // listed, never passed over.
    VerificationReport ledgerReport = LedgerVerifier.create().verify(ledgerFile, signer, expectHead);
    if (ledgerReport.has(VerificationReport.Problem.Kind.UNREADABLE_FILE)) {
      throw new InvalidInputException("Cannot make the report: " + ledgerReport.problems().get(0).message());
    }
    List<LedgerEntry> entries = ledgerReport.entries();
    List<Match> chosen = new ArrayList<>();
    for (String p : periods(selection, base, entries)) {
      chosen.add(receiptOf(p, specFiles, base, entries, ledgerFile));
    }
    List<PeriodResult> results = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    if (!ledgerReport.ok()) {
      ledgerReport.problems().forEach(q -> problems.add("ledger: " + q.message()));
    }
    Map<Long, ReceiptAnchor> anchors = new HashMap<>();
    if (Files.exists(ChainSink.outboxFile(ledgerFile))) {
      ChainSink.recordedAnchors(ledgerFile).forEach(a -> anchors.put(a.seq(), a));
    }
    AggregateLayout layout = base.settings() instanceof AggregateSpec agg ? layout(agg) : null;
    for (Match m : chosen) {
      String p = m.period();
      JobSpec spec = m.spec();
      Path specFile = m.specFile();
      LedgerEntry e = m.entry();
      Receipt r = e.receipt();
      List<String> approvalProblems = SpecApprovalCheck.problems(spec, r.approvals());
      approvalProblems.forEach(q -> problems.add("period " + label(p) + ": approvals: " + q));
      Check outputCheck;
      Optional<List<GroupRow>> groups = Optional.empty();
      OutputSpec out = spec.party(who).output();
      if (r.outputCommitment() == null || out == null) {
        outputCheck = new Check(true, "no output at " + who + " for this job: figures from the receipt only");
      } else if (!out.location().equals(r.outputLocation())) {
        outputCheck = new Check(false, "the receipt says the output was written to " + r.outputLocation()
            + " but the spec names " + out.location());
      } else {
        Dataset<Row> table = JobOutputs.read(spark.get(), out);
        DatasetCommitment.Commitment now = DatasetCommitment.compute(table,
            HexFormat.of().parseHex(r.outputCommitment().salt()));
        boolean same = now.rootHex().equals(r.outputCommitment().root()) && now.rowCount() == r.outputCommitment().rows();
        outputCheck = new Check(same, same
            ? "the output at " + out.location() + " (" + now.rowCount() + " rows) recomputes to the commitment in the "
                + "receipt"
            : "the output at " + out.location() + " does not match the commitment in the receipt (" + now.rowCount()
                + " rows now, " + r.outputCommitment().rows() + " committed): it was changed or overwritten after "
                + "this period's job ran (give each period its own output path)");
        if (same && layout != null) {
          groups = Optional.of(groupRows(table, (AggregateSpec) spec.settings(), layout));
        }
      }
      if (!outputCheck.ok()) {
        problems.add("period " + label(p) + ": " + outputCheck.text());
      }
      ReceiptAnchor anchor = anchors.get(e.seq());
      Optional<Check> anchorCheck = Optional.empty();
      if (chain != null) {
        if (anchor == null) {
          anchorCheck = Optional.of(new Check(false, "the receipt was never anchored (no record in "
              + ChainSink.outboxFile(ledgerFile) + "); run 'veil anchor' with the party's key"));
        } else {
          AnchorReport ar = ChainVerifier.verify(e, anchor, chain);
          anchorCheck = Optional.of(new Check(ar.ok(), ar.summary().strip()));
        }
        if (!anchorCheck.get().ok()) {
          problems.add("period " + label(p) + ": anchor: " + anchorCheck.get().text());
        }
      }
      results.add(new PeriodResult(p, spec, specFile, e, Optional.ofNullable(anchor),
          HexFormat.of().formatHex(JobRoot.of(r)), groups, outputCheck, approvalProblems, anchorCheck));
    }
    return new JointReport(base.name(), base.operator(), who, ledgerFile, ledgerReport, results,
        base.secureOperator().leakage(base), problems, layout);
  }

  /** The party of the ledger's first entry (its format checked, not its hashes: the verifier does that). */
  private static String ledgerParty(Path ledgerFile) {
    String first;
    try (var lines = Files.lines(ledgerFile, java.nio.charset.StandardCharsets.UTF_8)) {
      first = lines.filter(l -> !l.isBlank()).findFirst().orElse(null);
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      throw new InvalidInputException("Cannot make the report: ledger " + ledgerFile + " cannot be read ("
          + e.getClass().getSimpleName() + "). Check --ledger and the file's permissions.");
    }
    if (first == null) {
      throw new InvalidInputException("Cannot make the report: ledger " + ledgerFile + " holds no receipt. Pass "
          + "the ledger of a party that ran the job (veil run --ledger ...).");
    }
    try {
      return LedgerEntry.fromJson(first).receipt().party();
    } catch (RuntimeException e) {
      throw new InvalidInputException("Cannot make the report: the first line of ledger " + ledgerFile + " is not a "
          + "ledger entry, so whose ledger it is is unknown. Pass --party, or check --ledger.");
    }
  }

  private static String label(String period) {
    return period == null ? "(no period)" : period;
  }

  /** The periods to report, in order; a spec without period and no selection gives one null period. */
  private static List<String> periods(Selection s, JobSpec base, List<LedgerEntry> entries) {
    TreeSet<String> inLedger = new TreeSet<>();
    for (LedgerEntry e : entries) {
      if (e.receipt().jobName().equals(base.name()) && e.receipt().period() != null) {
        inLedger.add(e.receipt().period());
      }
    }
    if (s.all()) {
      if (inLedger.isEmpty()) {
        throw new InvalidInputException("Cannot make the report: the ledger holds no receipt of a period of job '"
            + base.name() + "'. Check --ledger and --spec, or leave out --all-periods for a job without periods.");
      }
      return List.copyOf(inLedger);
    }
    if (s.periods().isEmpty()) {
      List<String> one = new ArrayList<>();
      one.add(base.period().orElse(null));
      return one;
    }
    List<String> out = new ArrayList<>();
    for (String p : s.periods()) {
      int range = p.indexOf("..");
      if (range < 0) {
        if (!out.contains(p)) {
          out.add(p);
        }
        continue;
      }
      String from = p.substring(0, range);
      String to = p.substring(range + 2);
      if (from.isEmpty() || to.isEmpty() || from.compareTo(to) > 0) {
        throw new InvalidInputException("Cannot make the report: period range '" + p + "' is not FROM..TO with FROM "
            + "not after TO. Write e.g. --period 2026-01..2026-06.");
      }
      List<String> in = new ArrayList<>(inLedger.subSet(from, true, to, true));
      if (in.isEmpty()) {
        throw new InvalidInputException("Cannot make the report: the ledger holds no period of job '" + base.name()
            + "' from " + from + " to " + to + ". Its periods: " + describe(inLedger) + ".");
      }
      in.stream().filter(x -> !out.contains(x)).forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  private static String describe(TreeSet<String> periods) {
    return periods.isEmpty() ? "none" : String.join(", ", periods);
  }

  /** A period's receipt and the spec (file) that hashes to its contract. */
  private record Match(String period, JobSpec spec, Path specFile, LedgerEntry entry) {}

  /** The latest succeeded receipt of {@code period}'s job, with its spec. */
  private static Match receiptOf(String period, List<Path> specFiles, JobSpec base, List<LedgerEntry> entries,
      Path ledgerFile) {
    Map<String, Match> byContract = new LinkedHashMap<>();
    for (Path f : specFiles) {
      JobSpec s = JobSpec.read(f, period);
      byContract.putIfAbsent(s.contractHash(), new Match(period, s, f, null));
    }
    LedgerEntry found = null;
    LedgerEntry failed = null;
    LedgerEntry otherContract = null;
    for (LedgerEntry e : entries) {
      Receipt r = e.receipt();
      if (!r.jobName().equals(base.name()) || !Objects.equals(r.period(), period)) {
        continue;
      }
      if (!byContract.containsKey(r.contractHash())) {
        otherContract = e;
      } else if (r.status() == Receipt.Status.SUCCEEDED) {
        found = e;
      } else {
        failed = e;
      }
    }
    String which = "job '" + base.name() + "'" + (period == null ? "" : " period " + period);
    if (found != null) {
      Match spec = byContract.get(found.receipt().contractHash());
      return new Match(period, spec.spec(), spec.specFile(), found);
    }
    if (failed != null) {
      throw new InvalidInputException("Cannot make the report: " + which + " failed (ledger entry " + failed.seq()
          + " records status failed) and has no succeeded receipt in " + ledgerFile + ". Run the period again, or "
          + "leave it out of --period.");
    }
    if (otherContract != null) {
      throw new InvalidInputException("Cannot make the report: the receipt of " + which + " (ledger entry "
          + otherContract.seq() + ") is for contract " + otherContract.receipt().contractHash() + ", but the spec"
          + (specFiles.size() == 1 ? " " + specFiles.get(0) + " hashes" : "s given hash") + " to "
          + String.join(", ", byContract.keySet()) + " for that period. Pass the spec that job ran with (--spec, "
          + "once per spec file).");
    }
    TreeSet<String> inLedger = new TreeSet<>();
    entries.stream().map(LedgerEntry::receipt).filter(r -> r.jobName().equals(base.name()) && r.period() != null)
        .forEach(r -> inLedger.add(r.period()));
    throw new InvalidInputException("Cannot make the report: " + ledgerFile + " holds no receipt of " + which
        + ". Periods of this job in the ledger: " + describe(inLedger) + ". Check --period and --ledger (the ledger "
        + "of the party whose results to show).");
  }

  private static AggregateLayout layout(AggregateSpec agg) {
    List<String> groupColumns = agg.groupBy().stream().map(AggregateSpec.GroupColumn::column).toList();
    List<String> measures = new ArrayList<>();
    measures.add("count");
    agg.sums().forEach(v -> measures.add(v.as()));
    String dp = agg.dp() == null ? null : "epsilon " + agg.dp().epsilon() + ", delta " + agg.dp().delta();
    return new AggregateLayout(groupColumns, measures, agg.minGroupSize(), dp);
  }

  /** The output's rows in the order of the declared domain. */
  private static List<GroupRow> groupRows(Dataset<Row> table, AggregateSpec agg, AggregateLayout layout) {
    List<Row> rows = table.limit(MAX_GROUP_ROWS + 1).collectAsList();
    if (rows.size() > MAX_GROUP_ROWS) {
      throw new InvalidInputException("Cannot chart the output: it has more than " + MAX_GROUP_ROWS + " groups. "
          + "Report a coarser grouping (fewer groupBy values or wider buckets).");
    }
    Map<List<String>, GroupRow> byKey = new HashMap<>();
    for (Row row : rows) {
      List<String> keys = new ArrayList<>();
      for (String c : layout.groupColumns()) {
        keys.add(String.valueOf((Object) row.getAs(c)));
      }
      // A CSV output reads back as text: "true", "12", "1234.50".
      Object flag = row.getAs("suppressed");
      boolean suppressed = flag instanceof Boolean b ? b : Boolean.parseBoolean(String.valueOf(flag).strip());
      List<BigDecimal> values = new ArrayList<>();
      for (String m : layout.measures()) {
        Object v = row.getAs(m);
        values.add(v == null ? null : v instanceof BigDecimal d ? d : new BigDecimal(v.toString()));
      }
      byKey.put(keys, new GroupRow(List.copyOf(keys), suppressed, java.util.Collections.unmodifiableList(values)));
    }
    List<GroupRow> ordered = new ArrayList<>();
    domain(agg.groupBy(), 0, new ArrayList<>(), byKey, ordered);
    return ordered;
  }

  private static void domain(List<AggregateSpec.GroupColumn> cols, int i, List<String> prefix,
      Map<List<String>, GroupRow> byKey, List<GroupRow> out) {
    if (i == cols.size()) {
      GroupRow r = byKey.get(prefix);
      if (r != null) {
        out.add(r);
      }
      return;
    }
    for (int v = 0; v < cols.get(i).size(); v++) {
      prefix.add(cols.get(i).label(v));
      domain(cols, i + 1, prefix, byKey, out);
      prefix.remove(prefix.size() - 1);
    }
  }

  public String jobName() {
    return jobName;
  }

  /** The spec's operator name, e.g. {@code aggregate}. */
  public String operator() {
    return operator;
  }

  /** The party whose ledger and outputs the report shows. */
  public String party() {
    return party;
  }

  public Path ledger() {
    return ledger;
  }

  public VerificationReport ledgerReport() {
    return ledgerReport;
  }

  public List<PeriodResult> periods() {
    return periods;
  }

  /** The operator's leakage statement for the job's settings. */
  public List<Leakage> leakage() {
    return leakage;
  }

  /** Every check that failed; empty when everything verified. */
  public List<String> problems() {
    return problems;
  }

  /** Whether the ledger, every selected receipt's approvals and every output verified. */
  public boolean verified() {
    return problems.isEmpty();
  }

  /** For an aggregate job: its output's layout. */
  public Optional<AggregateLayout> aggregate() {
    return Optional.ofNullable(aggregate);
  }

  public Instant generatedAt() {
    return generatedAt;
  }
}
