package io.veil.crypto.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AdditiveSharesTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Property(tries = 300)
  void reconstructInvertsShare(@ForAll long x, @ForAll @IntRange(min = 2, max = 7) int parties) {
    long[] shares = AdditiveShares.share(x, parties, RANDOM);
    assertThat(shares).hasSize(parties);
    assertThat(AdditiveShares.reconstruct(shares)).isEqualTo(x);
  }

  @Property(tries = 200)
  void vectorReconstructInvertsShare(
      @ForAll @Size(max = 50) long[] xs, @ForAll @IntRange(min = 2, max = 7) int parties) {
    long[][] shares = AdditiveShares.share(xs, parties, RANDOM);
    assertThat(shares).hasNumberOfRows(parties);
    for (long[] row : shares) {
      assertThat(row).hasSize(xs.length);
    }
    assertThat(AdditiveShares.reconstruct(shares)).containsExactly(xs);
  }

  @Test
  void missingAnyOneShareDoesNotReconstruct() {
    long x = 42;
    long[] shares = AdditiveShares.share(x, 3, RANDOM);
    // With overwhelming probability (1 - 2^-64) a proper subset does not sum to x.
    assertThat(shares[0] + shares[1]).isNotEqualTo(x);
    assertThat(shares[1] + shares[2]).isNotEqualTo(x);
  }

  @Test
  void nonLastSharesLookUniform() {
    // Share the constant 0 many times; the first share's top bit should be set about half the time.
    int ones = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      ones += AdditiveShares.share(0L, 2, RANDOM)[0] < 0 ? 1 : 0;
    }
    assertThat(ones).isBetween(n / 2 - 200, n / 2 + 200); // ~6.3 sigma
  }

  @Test
  void wrapsAroundModTwoToThe64() {
    long[] shares = AdditiveShares.share(Long.MIN_VALUE, 5, RANDOM);
    BigInteger exact = BigInteger.ZERO;
    for (long s : shares) {
      exact = exact.add(BigInteger.valueOf(s));
    }
    assertThat(Ring64.reduce(exact)).isEqualTo(Long.MIN_VALUE);
    assertThat(AdditiveShares.reconstruct(shares)).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void rejectsFewerThanTwoParties() {
    assertThatThrownBy(() -> AdditiveShares.share(1L, 1, RANDOM))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("at least 2");
    assertThatThrownBy(() -> AdditiveShares.share(new long[] {1}, 0, RANDOM))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> AdditiveShares.reconstruct(new long[0]))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> AdditiveShares.reconstruct(new long[0][]))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void rejectsRaggedVectorShares() {
    assertThatThrownBy(() -> AdditiveShares.reconstruct(new long[][] {{1, 2}, {3}}))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("lengths differ");
  }

  @Test
  void emptyVectorShares() {
    long[][] shares = AdditiveShares.share(new long[0], 3, RANDOM);
    assertThat(AdditiveShares.reconstruct(shares)).isEmpty();
    assertThat(Arrays.stream(shares).allMatch(r -> r.length == 0)).isTrue();
  }
}
