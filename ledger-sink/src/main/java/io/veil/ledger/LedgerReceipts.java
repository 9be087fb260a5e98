package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.job.JobRecord;
import io.veil.job.ReceiptSink;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainConfig;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.ChainSinkConfig;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.ledger.chain.UsageRecord;
import io.veil.ledger.internal.LedgerErrors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job runtime's receipt sink: appends each finished job's signed {@link Receipt} to the party's
 * {@link LocalLedger} and, when a chain is configured, anchors the entry on the ledger contract
 * (the job's artefacts, the receipt itself and its place in the ledger:
 * {@link io.veil.ledger.chain.AnchorLeaf}) through the {@link ChainSink}'s durable outbox next to
 * the ledger. A job never fails or waits
 * longer than {@code anchorWaitMs} because of the chain: an anchor that is not confirmed in time
 * stays in the outbox, and {@code veil anchor} (or the next run on the same ledger) sends it.
 */
public final class LedgerReceipts implements ReceiptSink {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerReceipts.class);
  private static final HexFormat HEX = HexFormat.of();

  private final LedgerLocation ledger;
  private final ChainConfig chain;
  private final long anchorWaitMs;

  private LedgerReceipts(LedgerLocation ledger, ChainConfig chain, long anchorWaitMs) {
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.chain = chain;
    this.anchorWaitMs = anchorWaitMs;
  }

  /** Receipts in the local ledger file {@code ledger}, not anchored. */
  public static LedgerReceipts local(Path ledger) {
    return new LedgerReceipts(LedgerLocation.local(ledger), null, 0);
  }

  /**
   * Receipts in the ledger at {@code location}, not anchored. A ledger on a Hadoop file system is
   * checked here, on the driver, before the job reads or sends anything: a file system that cannot
   * append (an object store) is refused with what to use instead
   * ({@link HadoopLedger#open(java.net.URI, io.veil.crypto.IdentityKeys)} checks the head again
   * when the receipt is written).
   */
  public static LedgerReceipts at(LedgerLocation location) {
    location.hadoopUri().ifPresent(uri -> {
      io.veil.ledger.internal.HadoopLedgerFile.refuseNeverAppending(uri);
      HadoopLedger.openReadOnly(uri).checkWritable();
    });
    return new LedgerReceipts(location, null, 0);
  }

  /**
   * The same ledger, each receipt also anchored on {@code chain}; a run waits up to {@code anchorWaitMs} for it.
   * Only for a local ledger: the chain sink's outbox is a locked local file beside it.
   */
  public LedgerReceipts withChain(ChainConfig chainConfig, long waitMs) {
    if (!ledger.isLocal()) {
      throw LedgerErrors.notAnchorable(ledger.toString());
    }
    return new LedgerReceipts(ledger, Objects.requireNonNull(chainConfig, "chain"), waitMs);
  }

  /** The local ledger file, or null for a ledger on a Hadoop file system ({@link #location()}). */
  public Path ledger() {
    return ledger.localPath().orElse(null);
  }

  /** Where the receipts go. */
  public LedgerLocation location() {
    return ledger;
  }

  @Override
  public Recorded record(JobRecord r, IdentityKeys signer) {
    Receipt.Builder b = Receipt.builder()
        .jobId(r.jobId())
        .jobName(r.jobName())
        .period(r.period())
        .operator(r.operator())
        .party(r.party(), r.partyKey())
        .contractHash(r.contractHash())
        .outputLocation(r.outputLocation())
        .result(r.result())
        .status(Receipt.Status.SUCCEEDED)
        .startedAt(r.startedAt())
        .finishedAt(r.finishedAt())
        .inputCommitment(commitment(r.input()))
        .outputCommitment(commitment(r.output()));
    r.approvals().forEach(a -> b.addApproval(Receipt.Approval.of(a.party(), a.key(), HEX.parseHex(a.signatureHex()))));
    r.peers().forEach(p -> b.addPeerCommitment(new Receipt.PeerCommitment(p.party(), p.inputRoot(), p.outputRoot())));
    b.usage(usage(r));
    r.rounds().forEach(d -> b.addRoundDigest(new Receipt.RoundDigest(d.round(), d.from(), d.to(), d.batches(),
        d.elements(), d.digest())));
    Receipt receipt = b.build();
    LedgerSink sink = ledger.open(signer);
    LedgerEntry entry = sink.append(receipt);
    Map<String, String> notes = new LinkedHashMap<>();
    if (chain != null) {
      notes.putAll(anchor((LocalLedger) sink, r.jobId()));
    }
    return new Recorded(ledger.toString(), entry.receiptHash(), HEX.formatHex(JobRoot.of(receipt)), notes);
  }

  /**
   * What the job used of the party's data asset: its committed input rows, the operator's
   * {@code queriesAnswered} figure, one job, and every other party (by identity key) as consumer;
   * null when the input names no asset.
   */
  static Receipt.Usage usage(JobRecord r) {
    if (r.inputAsset() == null || r.input() == null) {
      return null;
    }
    List<IdentityPublicKey> others = r.approvals().stream()
        .filter(a -> !a.party().equals(r.party()))
        .map(JobRecord.ApprovalRecord::key)
        .toList();
    return Receipt.Usage.ofJob(r.inputAsset(), r.input().rows(), r.result(), others);
  }

  private static Receipt.Commitment commitment(JobRecord.CommitmentRecord c) {
    return c == null ? null : new Receipt.Commitment(c.algorithm(), c.root(), c.rows(), c.salt());
  }

  private static JobRecord.CommitmentRecord record(Receipt.Commitment c) {
    return c == null ? null : new JobRecord.CommitmentRecord(c.algorithm(), c.root(), c.rows(), c.salt());
  }

  /**
   * Anchors the ledger's new entry: a chain sink opened over the ledger queues it in its outbox and
   * sends it (and the usage records of the party's asset, if the receipt has any); waits up to
   * {@code anchorWaitMs} for the confirmations. Never fails: returns the anchor's state (and the
   * usage records') for the summary.
   */
  private Map<String, String> anchor(LocalLedger local, String jobId) {
    String later = "; the receipt is in the ledger, and 'veil anchor --ledger " + local.file()
        + "' (or the next run on this ledger) sends it";
    Map<String, String> notes = new LinkedHashMap<>();
    try (ChainClient client = ChainClient.connect(chain);
        ChainSink sink = ChainSink.open(local, client, ChainSinkConfig.defaults())) {
      sink.flush(Duration.ofMillis(anchorWaitMs));
      ReceiptAnchor a = sink.status(jobId).orElseThrow();
      notes.put("anchor", a.stage() == ReceiptAnchor.Stage.CONFIRMED
          ? "confirmed in block " + a.blockNumber() + " (tx " + a.txHash() + ", gas " + a.gasUsed() + ")"
          : a.stage().name().toLowerCase(Locale.ROOT) + " after " + anchorWaitMs + " ms" + later);
      List<UsageRecord> usage = sink.usageStatus(jobId);
      if (!usage.isEmpty()) {
        long done = usage.stream().filter(u -> u.stage() == UsageRecord.Stage.CONFIRMED).count();
        notes.put("usage", done == usage.size()
            ? "recorded on chain for " + done + " consumer(s) of asset " + usage.get(0).asset()
            : done + " of " + usage.size() + " consumer record(s) confirmed after " + anchorWaitMs + " ms; the rest "
                + "stay in the outbox and are sent with the anchors");
      }
    } catch (RuntimeException e) {
      LOG.warn("Veil job {}: not anchored yet: {}", jobId, e.getMessage());
      notes.put("anchor", "pending (" + e.getMessage() + ")" + later);
    }
    return notes;
  }

  /**
   * This party's receipt of {@code jobId} in the ledger, read after checking the whole ledger's hash
   * chain and that {@code partyKey} signed the entry (the check {@code veil verify} makes of it).
   */
  @Override
  public Optional<Finished> finished(String jobId, IdentityPublicKey partyKey) {
    Optional<LedgerEntry> found = ledger.openReadOnly().findByJobId(jobId);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    LedgerEntry entry = found.get();
    List<VerificationReport.Problem> problems = LedgerVerifier.create().verifyEntry(entry, partyKey);
    if (!problems.isEmpty()) {
      throw new InvalidInputException("Cannot trust the receipt of job " + jobId + " in ledger " + ledger + ": "
          + problems.get(0).message() + ". Run 'veil verify --ledger " + ledger + "' to see what is wrong; a job "
          + "whose receipt cannot be trusted is not run again under the same id.");
    }
    Receipt r = entry.receipt();
    Set<String> peers = new HashSet<>();
    r.peerCommitments().forEach(p -> peers.add(p.party()));
    Recorded recorded = new Recorded(ledger.toString(), entry.receiptHash(), HEX.formatHex(JobRoot.of(r)), Map.of());
    return Optional.of(new Finished(recorded, r.finishedAt(), record(r.inputCommitment()),
        record(r.outputCommitment()), r.outputLocation(), r.result(), peers));
  }

  @Override
  public String describe() {
    return "ledger " + ledger + (chain == null ? "" : ", anchored on " + chain);
  }
}
