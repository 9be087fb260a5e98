package io.veil.channel;

import java.security.MessageDigest;
import io.veil.crypto.Sha256;
import java.util.List;

/**
 * Digests that both sides of a round compute independently and compare: SHA-256 of each framed
 * batch; per partition, SHA-256 over its batch digests in sequence order; per round, SHA-256 over
 * the partition digests in partition order.
 */
public final class RoundDigest {
  private RoundDigest() {}

  public static byte[] batchDigest(byte[] record) {
    return Sha256.hash(record);
  }

  public static byte[] partitionDigest(List<byte[]> batchDigests) {
    MessageDigest md = Sha256.newDigest();
    md.update((byte) 'P');
    for (byte[] d : batchDigests) {
      md.update(d);
    }
    return md.digest();
  }

  public static byte[] roundDigest(List<byte[]> partitionDigests) {
    MessageDigest md = Sha256.newDigest();
    md.update((byte) 'R');
    for (byte[] d : partitionDigests) {
      md.update(d);
    }
    return md.digest();
  }

}
