package io.veil.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.crypto.IdentityKeys;
import io.veil.ledger.internal.CanonicalJson;
import io.veil.ledger.internal.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/** Keys, receipts and file surgery shared by the ledger tests (the chain tests too). */
public final class Fixtures {
  public static final IdentityKeys BANK_A = keys(1);
  public static final IdentityKeys BANK_B = keys(2);
  public static final IdentityKeys MALLORY = keys(66);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Fixtures() {}

  public static IdentityKeys keys(int fill) {
    byte[] seed = new byte[32];
    Arrays.fill(seed, (byte) fill);
    return IdentityKeys.fromSeed(seed);
  }

  static byte[] contractHash(String jobId) {
    return Hashes.sha256(("spec of " + jobId).getBytes(StandardCharsets.UTF_8));
  }

  /** A complete, valid receipt of bank_a for {@code jobId}, approved by both banks. */
  public static Receipt receipt(String jobId) {
    return receiptBuilder(jobId, "bank_a", BANK_A).build();
  }

  public static Receipt.Builder receiptBuilder(String jobId, String party, IdentityKeys keys) {
    byte[] contract = contractHash(jobId);
    return Receipt.builder()
        .jobId(jobId)
        .jobName("weekly-overlap")
        .period("2024-W18")
        .operator("psi")
        .party(party, keys.publicKey())
        .contractHash(contract)
        .addApproval(Receipt.Approval.sign("bank_b", BANK_B, contract))
        .addApproval(Receipt.Approval.sign("bank_a", BANK_A, contract))
        .inputCommitment(new Receipt.Commitment("merkle-sha256/v1",
            Hashes.hex(Hashes.sha256(new byte[] {1})), 1000, "0a0b0c0d"))
        .outputCommitment(new Receipt.Commitment("merkle-sha256/v1",
            Hashes.hex(Hashes.sha256(new byte[] {2})), 420, "01020304"))
        .outputLocation("hdfs:///veil/out/" + jobId)
        .addRoundDigest(new Receipt.RoundDigest(1, "bank_b", "bank_a", 4, 1000, "beef"))
        .addRoundDigest(new Receipt.RoundDigest(0, "bank_a", "bank_b", 3, 1000, "cafe"))
        .result("intersectionSize", "420")
        .status(Receipt.Status.SUCCEEDED)
        .startedAt(Instant.parse("2024-05-01T10:00:00Z"))
        .finishedAt(Instant.parse("2024-05-01T10:05:30.250Z"));
  }

  /** A ledger of bank_a with {@code n} entries for jobs job-0 .. job-(n-1). */
  static LocalLedger ledgerWith(Path file, int n) {
    LocalLedger ledger = LocalLedger.open(file, BANK_A);
    for (int i = 0; i < n; i++) {
      ledger.append(receipt("job-" + i));
    }
    return ledger;
  }

  /** The file's lines without their newlines (the file must end with a newline). */
  static List<String> lines(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    out.remove(out.size() - 1);
    return out;
  }

  static void writeLines(Path file, List<String> lines) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
  }

  /** Edits line {@code index} (0-based) as a JSON tree and writes it back canonically. */
  static void editLine(Path file, int index, Consumer<ObjectNode> edit) throws IOException {
    List<String> lines = lines(file);
    ObjectNode node = (ObjectNode) MAPPER.readTree(lines.get(index));
    edit.accept(node);
    lines.set(index, canonical(node));
    writeLines(file, lines);
  }

  static String canonical(ObjectNode node) {
    return new String(CanonicalJson.encode(node), StandardCharsets.UTF_8);
  }

  static String line(LedgerEntry e) {
    return new String(e.canonicalJson(), StandardCharsets.UTF_8);
  }
}
