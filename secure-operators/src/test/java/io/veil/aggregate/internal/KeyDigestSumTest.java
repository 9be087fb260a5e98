package io.veil.aggregate.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FeatureRows.KeyDigestSum} is the key-set digest's definition, the fold of {@code addDigests}. */
class KeyDigestSumTest {
  private static final String JOB = "0123456789abcdef0123456789abcdef";

  @Test
  void equalsTheSumOfKeyDigestsModTwoTo256() {
    Random r = new Random(7);
    FeatureRows.KeyDigestSum sum = new FeatureRows.KeyDigestSum(JOB);
    BigInteger expected = BigInteger.ZERO;
    assertThat(sum.value()).as("no keys").isEqualTo(expected);
    for (int i = 0; i < 20_000; i++) {
      // ISO-8859-1 text of key bytes, as sort keys are: any byte value, empty keys too
      char[] key = new char[r.nextInt(12)];
      for (int j = 0; j < key.length; j++) {
        key[j] = (char) r.nextInt(256);
      }
      String sortKey = new String(key);
      sum.add(sortKey);
      expected = FeatureRows.addDigests(expected, FeatureRows.keyDigest(JOB, sortKey));
      if (i < 50 || i % 997 == 0) {
        assertThat(sum.value()).as("after %d keys", i + 1).isEqualTo(expected);
      }
    }
    assertThat(sum.value()).isEqualTo(expected);
    // 20,000 random 256-bit hashes overflow 2^256 thousands of times: every carry and the wrap are used.
    assertThat(sum.value().bitLength()).isLessThanOrEqualTo(256);
  }

  @Test
  void aKeyAddedTwiceCountsTwiceAndTheJobIdIsPartOfIt() {
    FeatureRows.KeyDigestSum once = new FeatureRows.KeyDigestSum(JOB);
    once.add("k");
    FeatureRows.KeyDigestSum twice = new FeatureRows.KeyDigestSum(JOB);
    twice.add("k");
    twice.add("k");
    assertThat(twice.value()).isEqualTo(FeatureRows.addDigests(once.value(), once.value()));
    FeatureRows.KeyDigestSum otherJob = new FeatureRows.KeyDigestSum("f" + JOB.substring(1));
    otherJob.add("k");
    assertThat(otherJob.value()).isNotEqualTo(once.value());
  }

  @Test
  void aCarryRipplesThroughLimbsThatAreAllOnes() {
    // {0, 0, 2^64-1, 1} + {0, 0, 0, 2^64-1}: the low limb carries into an all-ones limb, which
    // carries again (the case random hashes almost never reach).
    long[] limbs = {0, 0, -1L, 1};
    byte[] h = new byte[32];
    java.util.Arrays.fill(h, 24, 32, (byte) 0xff);
    FeatureRows.KeyDigestSum.addInto(limbs, h);
    assertThat(limbs).containsExactly(0, 1, 0, 0);
    long[] top = {-1L, -1L, -1L, -1L};
    byte[] one = new byte[32];
    one[31] = 1;
    FeatureRows.KeyDigestSum.addInto(top, one);
    assertThat(top).as("2^256 - 1 + 1 wraps to 0").containsExactly(0, 0, 0, 0);
  }
}
