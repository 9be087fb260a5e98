package io.veil.aggregate.internal;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.crypto.sharing.PairwiseSealing;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The alignment check of operators over rows aligned by key (feature aggregation, federated
 * learning): before any value leaves a party, every data party learns whether every other holds the
 * same number of rows with the same key set. Each party seals its row count and its key-set digest
 * ({@link FeatureRows#keyDigest}) for the other data parties ({@link PairwiseSealing}), so that
 * nobody else reading the control topic can test guesses of the key set against the digest.
 */
public final class Alignment {
  private Alignment() {}

  /**
   * Publishes this party's count and digest for {@code step}, then checks every other data party's.
   *
   * @param action what the operator is about to do, for errors ("aggregate features")
   * @throws InvalidInputException naming the party whose rows differ (nothing was sent)
   * @throws ProtocolException if a peer's check cannot be opened or is malformed
   */
  public static void check(AggregationContext c, String step, long rows, BigInteger keyDigest, String action) {
    PairwiseSealing sealing = c.sealing();
    List<String> others = c.dataParties().stream().filter(d -> !d.equals(c.me())).toList();
    byte[] digest = FeatureRows.digestBytes(keyDigest);
    byte[] context = step.getBytes(StandardCharsets.UTF_8);
    // u64 rows, the 32-byte digest
    c.op().publishNotice(step, sealing.seal(others, context,
        ByteBuffer.allocate(8 + digest.length).putLong(rows).put(digest).array()));
    for (String other : others) {
      byte[] notice = c.op().awaitNotice(other, step, "its alignment check (step " + step + ")");
      ByteBuffer theirs;
      try {
        theirs = ByteBuffer.wrap(sealing.open(other, context, notice));
      } catch (IllegalArgumentException e) {
        throw new ProtocolException(other, step, "Cannot accept " + other + "'s alignment check: "
            + e.getMessage() + ". The job was aborted; check that every party runs the same spec and Veil version.");
      }
      if (theirs.remaining() != 8 + digest.length) {
        throw new ProtocolException(other, step, "Cannot accept " + other + "'s alignment check: it is "
            + "malformed. The job was aborted; check that every party runs the same Veil version.");
      }
      long theirRows = theirs.getLong();
      byte[] theirDigest = new byte[digest.length];
      theirs.get(theirDigest);
      if (theirRows != rows || !MessageDigest.isEqual(theirDigest, digest)) {
        throw new InvalidInputException("Cannot " + action + ": " + other + "'s rows are not aligned with "
            + c.me() + "'s (" + theirRows + " rows there, " + rows + " here" + (theirRows == rows
            ? ", but different keys" : "") + "). Nothing was sent. Give every party the "
            + "same rows, e.g. each party's output of one PSI job, with the same key normalisation.");
      }
    }
    c.op().progress(rows + " rows aligned with " + String.join(", ", c.dataParties()));
  }
}
