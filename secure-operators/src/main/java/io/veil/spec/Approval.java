package io.veil.spec;

import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import java.util.HexFormat;

/**
 * A party's approval of a job: its Ed25519 signature over the 32 contract-hash bytes. The contract
 * covers the period, so an approval is never valid for another period of the same spec.
 */
public final class Approval {
  private Approval() {}

  /** Hex signature. */
  public static String sign(IdentityKeys keys, String contractHash) {
    return HexFormat.of().formatHex(keys.sign(SignatureDomain.APPROVAL, HexFormat.of().parseHex(contractHash)));
  }

  public static boolean verify(IdentityPublicKey key, String contractHash, String signatureHex) {
    try {
      return key.verify(SignatureDomain.APPROVAL, HexFormat.of().parseHex(contractHash), HexFormat.of().parseHex(signatureHex));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
