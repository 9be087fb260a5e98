package io.veil.spec;

import static io.veil.spec.SpecFixtures.BANK_A;
import static io.veil.spec.SpecFixtures.BANK_B;
import static io.veil.spec.SpecFixtures.minimalSpec;
import static org.assertj.core.api.Assertions.assertThat;

import io.veil.crypto.IdentityPublicKey;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ApprovalTest {
  private static final JobSpec NOVEMBER = JobSpec.parse(minimalSpec(), "psi.yaml", "2026-11");
  private static final JobSpec DECEMBER = JobSpec.parse(minimalSpec(), "psi.yaml", "2026-12");
  private static final IdentityPublicKey KEY_A = BANK_A.identity().publicKey();
  private static final IdentityPublicKey KEY_B = BANK_B.identity().publicKey();

  @Test
  void signThenVerifyRoundTrips() {
    String sig = Approval.sign(BANK_A.identity(), NOVEMBER.contractHash());
    assertThat(sig).matches("[0-9a-f]{128}");
    assertThat(Approval.verify(KEY_A, NOVEMBER.contractHash(), sig)).isTrue();
    // Ed25519 is deterministic: the same party approving the same contract gives the same signature.
    assertThat(Approval.sign(BANK_A.identity(), NOVEMBER.contractHash())).isEqualTo(sig);
    assertThat(Approval.verify(KEY_A, NOVEMBER.contractHash(), sig.toUpperCase())).isTrue();
  }

  @Test
  void wrongKeyFails() {
    String sig = Approval.sign(BANK_A.identity(), NOVEMBER.contractHash());
    assertThat(Approval.verify(KEY_B, NOVEMBER.contractHash(), sig)).isFalse();
  }

  @Test
  void approvalOfAnotherContractFails() {
    String sig = Approval.sign(BANK_A.identity(), NOVEMBER.contractHash());
    assertThat(DECEMBER.contractHash()).isNotEqualTo(NOVEMBER.contractHash());
    assertThat(Approval.verify(KEY_A, DECEMBER.contractHash(), sig))
        .as("an approval of one period is not an approval of the next").isFalse();
  }

  @Test
  void tamperedSignatureFails() {
    byte[] sig = HexFormat.of().parseHex(Approval.sign(BANK_A.identity(), NOVEMBER.contractHash()));
    for (int i = 0; i < sig.length; i += 7) {
      byte[] t = sig.clone();
      t[i] ^= 1;
      assertThat(Approval.verify(KEY_A, NOVEMBER.contractHash(), HexFormat.of().formatHex(t))).as("bit flip in byte %d", i)
          .isFalse();
    }
  }

  static Stream<String> garbageSignatures() {
    return Stream.of("", "zz", "abc", "not hex at all", "00",
        "00".repeat(63), "00".repeat(64), "00".repeat(65), "ff".repeat(64), "0x" + "00".repeat(63));
  }

  @ParameterizedTest
  @MethodSource("garbageSignatures")
  void garbageSignatureReturnsFalse(String signatureHex) {
    assertThat(Approval.verify(KEY_A, NOVEMBER.contractHash(), signatureHex)).isFalse();
  }

  @Test
  void garbageContractHashReturnsFalse() {
    String sig = Approval.sign(BANK_A.identity(), NOVEMBER.contractHash());
    assertThat(Approval.verify(KEY_A, "not-a-hash", sig)).isFalse();
    assertThat(Approval.verify(KEY_A, NOVEMBER.contractHash().substring(1), sig)).isFalse();
  }
}
