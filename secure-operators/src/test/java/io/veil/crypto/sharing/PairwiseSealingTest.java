package io.veil.crypto.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.crypto.PartySecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PairwiseSealingTest {
  private static final String JOB = "0123456789abcdef0123456789abcdef";
  private static final byte[] STEP = "agg-release".getBytes(StandardCharsets.UTF_8);
  private static final List<String> IDS = List.of("bank_a", "bank_b", "bank_c", "regulator");
  private static final Map<String, PairwiseSealing> PARTIES = setUp(JOB, 1);

  private static Map<String, PairwiseSealing> setUp(String job, long seed) {
    SecureRandom random;
    try {
      random = SecureRandom.getInstance("SHA1PRNG");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    random.setSeed(seed);
    Map<String, AggregationKeys> keys = new LinkedHashMap<>();
    for (String id : IDS) {
      keys.put(id, AggregationKeys.derive(PartySecret.generate(id, random), job));
    }
    Map<String, PairwiseSealing> out = new LinkedHashMap<>();
    for (String me : IDS) {
      Map<String, byte[]> peers = new LinkedHashMap<>();
      keys.forEach((id, k) -> {
        if (!id.equals(me)) {
          peers.put(id, k.publicKey());
        }
      });
      out.put(me, PairwiseSealing.create(me, keys.get(me), peers, job));
    }
    return out;
  }

  @Property(tries = 50)
  void everyRecipientOpensWhatWasSealedForIt(@ForAll @Size(max = 300) byte[] message) {
    byte[] sealed = PARTIES.get("regulator").seal(List.of("bank_a", "bank_b", "bank_c"), STEP, message);
    for (String r : List.of("bank_a", "bank_b", "bank_c")) {
      assertThat(PARTIES.get(r).open("regulator", STEP, sealed)).isEqualTo(message);
    }
  }

  @Test
  void onlyTheRecipientsCanOpenAndOnlyAsSealed() {
    byte[] message = "the released groups".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = PARTIES.get("regulator").seal(List.of("bank_a", "bank_b"), STEP, message);
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("released");
    assertThatThrownBy(() -> PARTIES.get("bank_c").open("regulator", STEP, sealed))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not addressed to bank_c");
    assertThatThrownBy(() -> PARTIES.get("bank_a").open("regulator", "agg-sums".getBytes(StandardCharsets.UTF_8),
        sealed)).hasMessageContaining("fails authentication");
    assertThatThrownBy(() -> PARTIES.get("bank_a").open("bank_b", STEP, sealed))
        .hasMessageContaining("fails authentication");
    for (int i = 0; i < sealed.length; i += 7) {
      byte[] altered = sealed.clone();
      altered[i] ^= 1;
      assertThatThrownBy(() -> PARTIES.get("bank_a").open("regulator", STEP, altered))
          .as("byte " + i).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> PARTIES.get("bank_a").open("regulator", STEP,
        java.util.Arrays.copyOf(sealed, sealed.length - 1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PARTIES.get("bank_a").open("regulator", STEP, new byte[3]))
        .isInstanceOf(IllegalArgumentException.class);
    // The same parties in another job hold other keys.
    Map<String, PairwiseSealing> other = setUp("fedcba9876543210fedcba9876543210", 1);
    assertThatThrownBy(() -> other.get("bank_a").open("regulator", STEP, sealed))
        .hasMessageContaining("fails authentication");
  }

  @Test
  void sealingTheSameMessageTwiceGivesUnrelatedBytes() {
    byte[] message = new byte[64];
    byte[] a = PARTIES.get("bank_a").seal(List.of("bank_b"), STEP, message);
    byte[] b = PARTIES.get("bank_a").seal(List.of("bank_b"), STEP, message);
    assertThat(a).hasSameSizeAs(b).isNotEqualTo(b);
    assertThat(PARTIES.get("bank_b").open("bank_a", STEP, b)).isEqualTo(message);
    assertThat(a.length).as("header, nonce, message and tag").isEqualTo(3 + (1 + 6 + 12 + 48) + 12 + 64 + 16);
  }

  @Test
  void invalidPeerKeysAreRefusedNamingThePeer() {
    AggregationKeys mine = AggregationKeys.derive(PartySecret.generate("bank_a", new SecureRandom()), JOB);
    assertThatThrownBy(() -> PairwiseSealing.create("bank_a", mine, Map.of("bank_b", new byte[32]), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("bank_b").hasMessageContaining("low-order");
    assertThatThrownBy(() -> PairwiseSealing.create("bank_a", mine, Map.of("bank_b", new byte[31]), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("31 bytes");
    assertThatThrownBy(() -> PairwiseSealing.create("bank_a", mine, Map.of("bank_b", mine.publicKey()), JOB))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("own key");
    assertThatThrownBy(() -> PairwiseSealing.create("bank_a", mine, Map.of(), "another-job"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("derived for job");
    assertThat(PARTIES.get("bank_a").toString())
        .isEqualTo("PairwiseSealing(party=bank_a, job=" + JOB + ", peers=[bank_b, bank_c, regulator])");
  }
}
