package io.veil.crypto.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.crypto.Hkdf;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

class MaskPrgTest {
  private static byte[] seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return s;
  }

  /** Independent oracle: AES-256-ECB on explicit counter blocks IV + b mod 2^128. */
  private static long[] oracle(byte[] seed, String domain, int count, long offset) throws Exception {
    byte[] iv = Hkdf.derive(null, seed, ("veil-mask-iv|" + domain).getBytes(StandardCharsets.UTF_8), 16);
    BigInteger ivInt = new BigInteger(1, iv);
    BigInteger mod = BigInteger.ONE.shiftLeft(128);
    Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
    ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"));
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      long pos = offset + i;
      BigInteger ctr = ivInt.add(BigInteger.valueOf(pos >>> 1)).mod(mod);
      byte[] block = new byte[16];
      byte[] raw = ctr.toByteArray();
      int n = Math.min(raw.length, 16);
      System.arraycopy(raw, raw.length - n, block, 16 - n, n);
      byte[] ks = ecb.doFinal(block);
      out[i] = ByteBuffer.wrap(ks).getLong((int) (pos & 1) * 8);
    }
    return out;
  }

  @Property(tries = 200)
  void matchesTheCounterModeDefinition(
      @ForAll @Size(32) byte[] seed,
      @ForAll @StringLength(max = 20) String domain,
      @ForAll @IntRange(min = 0, max = 40) int count,
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE - 40) long offset) throws Exception {
    assertThat(MaskPrg.create(seed, domain).masks(count, offset)).containsExactly(oracle(seed, domain, count, offset));
  }

  @Test
  void examplesOfChunkingInvariance() {
    MaskPrg prg = MaskPrg.create(seed(1), "round-1/column-3");
    long[] whole = prg.masks(15, 0);
    long[] joined = new long[15];
    System.arraycopy(prg.masks(10, 0), 0, joined, 0, 10);
    System.arraycopy(prg.masks(5, 10), 0, joined, 10, 5);
    assertThat(joined).containsExactly(whole);
    assertThat(prg.masks(1, 7)).containsExactly(whole[7]);
    assertThat(prg.masks(0, 3)).isEmpty();
  }

  @Property(tries = 200)
  void chunkingInvariance(
      @ForAll @Size(32) byte[] seed,
      @ForAll @IntRange(min = 0, max = 10_000) int total,
      @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 10_000) Integer> cuts,
      @ForAll @LongRange(min = 0, max = 1L << 40) long offset) {
    MaskPrg prg = MaskPrg.create(seed, "d");
    long[] whole = prg.masks(total, offset);
    int[] points = cuts.stream().mapToInt(c -> c % (total + 1)).sorted().toArray();
    long[] joined = new long[total];
    int from = 0;
    for (int p : points) {
      System.arraycopy(prg.masks(p - from, offset + from), 0, joined, from, p - from);
      from = p;
    }
    System.arraycopy(prg.masks(total - from, offset + from), 0, joined, from, total - from);
    assertThat(joined).containsExactly(whole);
  }

  @Test
  void longStreamsCrossChunkBoundaries() throws Exception {
    MaskPrg prg = MaskPrg.create(seed(9), "long");
    long[] big = prg.masks(20_001, 3);
    assertThat(Arrays.copyOfRange(big, 8190, 8200)).containsExactly(oracle(seed(9), "long", 10, 8193));
    assertThat(Arrays.copyOfRange(big, 19_990, 20_001)).containsExactly(oracle(seed(9), "long", 11, 19_993));
  }

  @Test
  void deterministicAndDomainSeparated() {
    long[] a = MaskPrg.create(seed(1), "round-1/column-1").masks(64, 0);
    assertThat(MaskPrg.create(seed(1), "round-1/column-1").masks(64, 0)).containsExactly(a);
    long[] b = MaskPrg.create(seed(1), "round-1/column-2").masks(64, 0);
    long[] c = MaskPrg.create(seed(2), "round-1/column-1").masks(64, 0);
    Set<Long> seen = new HashSet<>();
    for (long[] s : List.of(a, b, c)) {
      for (long x : s) {
        seen.add(x);
      }
    }
    assertThat(seen).hasSize(3 * 64); // no collisions among 192 uniform 64-bit values
  }

  @Property(tries = 100)
  void differentDomainsOrSeedsGiveDifferentStreams(
      @ForAll @Size(32) byte[] s1, @ForAll @Size(32) byte[] s2,
      @ForAll @AlphaChars @StringLength(max = 10) String d1, @ForAll @AlphaChars @StringLength(max = 10) String d2) {
    long[] x = MaskPrg.create(s1, d1).masks(4, 0);
    long[] y = MaskPrg.create(s2, d2).masks(4, 0);
    assertThat(Arrays.equals(x, y)).isEqualTo(Arrays.equals(s1, s2) && d1.equals(d2));
  }

  @Test
  void validatesArguments() {
    assertThatThrownBy(() -> MaskPrg.create(new byte[16], "d"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("16 bytes");
    MaskPrg prg = MaskPrg.create(seed(3), "d");
    assertThatThrownBy(() -> prg.masks(-1, 0)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> prg.masks(1, -1)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> prg.masks(2, Long.MAX_VALUE - 1)).isInstanceOf(InvalidInputException.class);
    assertThat(prg.masks(1, Long.MAX_VALUE - 1)).hasSize(1);
  }

  @Test
  void seedIsCopiedAndNotShown() {
    byte[] s = seed(0x5a);
    MaskPrg prg = MaskPrg.create(s, "d");
    long[] before = prg.masks(4, 0);
    s[0] ^= 1;
    assertThat(prg.masks(4, 0)).containsExactly(before);
    assertThat(prg.toString()).doesNotContain(Hex.toHexString(seed(0x5a)).substring(0, 8)).doesNotContain("5a5a");
  }
}
