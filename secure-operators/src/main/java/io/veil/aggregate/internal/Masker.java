package io.veil.aggregate.internal;

import io.veil.crypto.sharing.PairwiseMasking;
import io.veil.crypto.sharing.Ring64;
import io.veil.spark.RunKey;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adds this party's pairwise masks to blocks of a vector, inside executor tasks. Holds a run key
 * reference and the peers' public keys, never key material; the masking state is rebuilt from the
 * key file in each JVM.
 */
final class Masker implements Serializable {
  private static final long serialVersionUID = 1L;
  private final RunKey key;
  private final String me;
  private final TreeMap<String, byte[]> peerKeys;
  private transient PairwiseMasking masking;

  Masker(RunKey key, String me, Map<String, byte[]> dataPartyKeys) {
    this.key = key;
    this.me = me;
    this.peerKeys = new TreeMap<>(dataPartyKeys);
    this.peerKeys.remove(me);
  }

  /** {@code values + masks} for positions {@code [offset, offset + values.length)} of stream {@code domain}. */
  long[] mask(String domain, long[] values, long offset) {
    if (masking == null) {
      masking = key.pairwiseMasking(me, peerKeys);
    }
    long[] out = masking.mask(domain, values.length, offset);
    Ring64.addInPlace(out, values);
    return out;
  }
}
