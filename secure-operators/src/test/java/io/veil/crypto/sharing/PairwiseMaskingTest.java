package io.veil.crypto.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.crypto.PartySecret;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

class PairwiseMaskingTest {
  private static final String JOB = "job-2026-11-agg";

  /**
   * Low-order X25519 u-coordinates (little-endian), as listed for Curve25519 point validation:
   * 0, 1, the two points of order 8, p - 1, p, p + 1.
   */
  private static final String[] LOW_ORDER = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };

  private static SecureRandom seeded(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Sets up every party's masking for {@code ids}, exchanging public keys as the protocol would. */
  private static List<PairwiseMasking> setUp(List<String> ids, String job, SecureRandom random) {
    Map<String, AggregationKeys> keys = new LinkedHashMap<>();
    for (String id : ids) {
      keys.put(id, AggregationKeys.derive(PartySecret.generate(id, random), job));
    }
    List<PairwiseMasking> out = new ArrayList<>();
    for (String me : ids) {
      Map<String, byte[]> peers = new LinkedHashMap<>();
      for (String other : ids) {
        if (!other.equals(me)) {
          peers.put(other, keys.get(other).publicKey());
        }
      }
      out.add(PairwiseMasking.create(me, keys.get(me), peers, job));
    }
    return out;
  }

  private static List<String> randomIds(int n, Random r) {
    Set<String> ids = new LinkedHashSet<>();
    while (ids.size() < n) {
      StringBuilder b = new StringBuilder();
      int len = 1 + r.nextInt(8);
      for (int i = 0; i < len; i++) {
        b.append("abcdefghijklmnopqrstuvwxyz0123456789_-".charAt(r.nextInt(38)));
      }
      ids.add(b.toString());
    }
    return new ArrayList<>(ids);
  }

  @Property(tries = 60)
  void masksOfAllPartiesCancel(
      @ForAll @IntRange(min = 2, max = 6) int n,
      @ForAll long seed,
      @ForAll @StringLength(max = 30) String domain,
      @ForAll @IntRange(min = 0, max = 200) int count,
      @ForAll @LongRange(min = 0, max = 1L << 50) long offset) {
    List<PairwiseMasking> parties = setUp(randomIds(n, new Random(seed)), "job-" + seed, seeded(seed));
    long[] total = new long[count];
    for (PairwiseMasking p : parties) {
      long[] m = p.mask(domain, count, offset);
      assertThat(m).hasSize(count);
      Ring64.addInPlace(total, m);
    }
    assertThat(total).isEqualTo(new long[count]);
  }

  @Test
  void maskedInputsSumToThePlainSumAndHideEachInput() {
    List<String> ids = List.of("bank_a", "bank_b", "bank_c", "bank_d", "bank_e");
    List<PairwiseMasking> parties = setUp(ids, JOB, new SecureRandom());
    Random r = new Random(7);
    long[][] inputs = new long[ids.size()][50];
    long[] plain = new long[50];
    long[] aggregated = new long[50];
    for (int p = 0; p < ids.size(); p++) {
      for (int i = 0; i < 50; i++) {
        inputs[p][i] = r.nextInt(1000);
        plain[i] += inputs[p][i];
      }
      long[] message = Ring64.add(inputs[p], parties.get(p).mask("round-1/column-3", 50, 1000));
      for (int i = 0; i < 50; i++) {
        // each message element is far from the small input it carries
        assertThat(Math.abs(message[i] - inputs[p][i])).isGreaterThan(1L << 20);
      }
      Ring64.addInPlace(aggregated, message);
    }
    assertThat(aggregated).containsExactly(plain);
  }

  @Test
  void masksAreSeekableAndDomainSeparated() {
    PairwiseMasking p = setUp(List.of("a", "b", "c"), JOB, new SecureRandom()).get(1);
    long[] whole = p.mask("d", 15, 0);
    long[] head = p.mask("d", 10, 0);
    long[] tail = p.mask("d", 5, 10);
    for (int i = 0; i < 10; i++) {
      assertThat(head[i]).isEqualTo(whole[i]);
    }
    for (int i = 0; i < 5; i++) {
      assertThat(tail[i]).isEqualTo(whole[10 + i]);
    }
    assertThat(p.mask("e", 15, 0)).isNotEqualTo(whole);
    assertThat(p.parties()).isEqualTo(3);
  }

  /** Both ends of a pair compute the same key stream; a third party's differs; domains separate. */
  @Test
  void pairKeystreamsAgreeWithinAPairOnly() {
    List<PairwiseMasking> p = setUp(List.of("a", "b", "c"), JOB, new SecureRandom());
    byte[] ab = p.get(0).pairKeystream("b", "psi-answers|s|0|0", 37);
    assertThat(ab).hasSize(37).isEqualTo(p.get(1).pairKeystream("a", "psi-answers|s|0|0", 37));
    assertThat(p.get(2).pairKeystream("a", "psi-answers|s|0|0", 37)).isNotEqualTo(ab);
    assertThat(p.get(0).pairKeystream("b", "psi-answers|s|0|1", 37)).isNotEqualTo(ab);
    assertThat(p.get(0).pairKeystream("b", "psi-answers|s|0|0", 40)).startsWith(ab);
    assertThatThrownBy(() -> p.get(0).pairKeystream("a", "d", 8)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aggregationKeysAreDeterministicPerSecretAndJob() {
    PartySecret s = PartySecret.generate("bank_a", new SecureRandom());
    PartySecret other = PartySecret.generate("bank_a", new SecureRandom());
    byte[] k1 = AggregationKeys.derive(s, "job-1").publicKey();
    assertThat(k1).hasSize(32);
    assertThat(AggregationKeys.derive(s, "job-1").publicKey()).isEqualTo(k1);
    assertThat(AggregationKeys.derive(s, "job-2").publicKey()).isNotEqualTo(k1);
    assertThat(AggregationKeys.derive(other, "job-1").publicKey()).isNotEqualTo(k1);
    assertThatThrownBy(() -> AggregationKeys.derive(s, "")).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void toStringRevealsNoKeyBytes() {
    PartySecret s = PartySecret.generate("bank_a", new SecureRandom());
    AggregationKeys keys = AggregationKeys.derive(s, JOB);
    byte[] priv = s.deriveJobSecret(JOB, "aggregation-x25519", 32);
    List<String> forbidden = new ArrayList<>();
    for (byte[] k : List.of(priv, keys.publicKey())) {
      forbidden.add(Hex.toHexString(k).substring(0, 12));
      forbidden.add(Hex.toHexString(k).toUpperCase().substring(0, 12));
      forbidden.add(Base64.getEncoder().encodeToString(k).substring(0, 12));
      forbidden.add(Base64.getUrlEncoder().encodeToString(k).substring(0, 12));
    }
    PairwiseMasking pm = setUp(List.of("bank_a", "bank_b"), JOB, new SecureRandom()).get(0);
    for (String text : List.of(keys.toString(), pm.toString())) {
      for (String f : forbidden) {
        assertThat(text).doesNotContain(f);
      }
    }
    assertThat(keys.toString()).contains("bank_a").contains(JOB);
    assertThat(pm.toString()).contains("bank_b");
  }

  private static AggregationKeys keys(String party, String job) {
    return AggregationKeys.derive(PartySecret.generate(party, new SecureRandom()), job);
  }

  @Test
  void rejectsLowOrderPeerKeysNamingThePeer() {
    AggregationKeys mine = keys("bank_a", JOB);
    for (String hex : LOW_ORDER) {
      for (boolean highBit : new boolean[] {false, true}) {
        byte[] pk = Hex.decode(hex);
        if (highBit) {
          pk[31] |= (byte) 0x80; // RFC 7748 ignores the top bit: same point
        }
        Map<String, byte[]> peers = new LinkedHashMap<>();
        peers.put("bank_b", keys("bank_b", JOB).publicKey());
        peers.put("bank_evil", pk);
        assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, peers, JOB))
            .as(hex + (highBit ? " with top bit" : ""))
            .isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("bank_evil")
            .hasMessageContaining("low-order");
      }
    }
  }

  @Test
  void rejectsMalformedAndDuplicatedPeerKeys() {
    AggregationKeys mine = keys("bank_a", JOB);
    byte[] good = keys("bank_b", JOB).publicKey();
    assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, Map.of("bank_b", new byte[31]), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("bank_b").hasMessageContaining("31 bytes");
    assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, Map.of("bank_b", mine.publicKey()), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("bank_b").hasMessageContaining("own key");
    assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, Map.of("bank_b", good, "bank_c", good.clone()), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("bank_c").hasMessageContaining("bank_b");
    assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, Map.of("bank_a", good), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("own peers");
    assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, Map.of(), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("at least two parties");
    assertThatThrownBy(() -> PairwiseMasking.create("bank_a", mine, Map.of("bank_b", good), "other-job"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("other-job");
    assertThatThrownBy(() -> PairwiseMasking.create("bank|a", mine, Map.of("bank_b", good), JOB))
        .isInstanceOf(InvalidInputException.class);
    // and the valid case is accepted
    assertThat(PairwiseMasking.create("bank_a", mine, Map.of("bank_b", good), JOB).parties()).isEqualTo(2);
  }

  @Test
  void keysOfAnotherJobDoNotCancel() {
    PartySecret a = PartySecret.generate("a", new SecureRandom());
    PartySecret b = PartySecret.generate("b", new SecureRandom());
    PairwiseMasking pa =
        PairwiseMasking.create("a", AggregationKeys.derive(a, "j1"), Map.of("b", AggregationKeys.derive(b, "j1").publicKey()), "j1");
    // b announced keys of job j1 but computes with keys of job j2
    PairwiseMasking pb =
        PairwiseMasking.create("b", AggregationKeys.derive(b, "j2"), Map.of("a", AggregationKeys.derive(a, "j2").publicKey()), "j2");
    long[] sum = Ring64.add(pa.mask("d", 8, 0), pb.mask("d", 8, 0));
    assertThat(sum).doesNotContain(0L);
    PairwiseMasking pb1 =
        PairwiseMasking.create("b", AggregationKeys.derive(b, "j1"), Map.of("a", AggregationKeys.derive(a, "j1").publicKey()), "j1");
    assertThat(Ring64.add(pa.mask("d", 8, 0), pb1.mask("d", 8, 0))).containsOnly(0L);
  }

  @Property(tries = 20)
  void anyDomainStringWorks(@ForAll @AlphaChars @StringLength(min = 0, max = 40) String domain) {
    List<PairwiseMasking> ps = setUp(List.of("x", "y", "z"), JOB, seeded(domain.hashCode()));
    long[] t = new long[3];
    for (PairwiseMasking p : ps) {
      Ring64.addInPlace(t, p.mask(domain, 3, 5));
    }
    assertThat(t).containsOnly(0L);
  }
}
