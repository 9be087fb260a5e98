package io.veil.crypto;

import java.nio.charset.StandardCharsets;

/**
 * What a party's Ed25519 signature is for. Every signature Veil makes is an Ed25519ctx signature
 * (RFC 8032, section 5.1) whose context string names its domain, so a signature made for one
 * purpose never verifies for another: an approval of a contract hash cannot be replayed as a
 * ledger entry, a data batch or a control message, even when the signed bytes happen to be equal.
 * One party key signs all four; the contexts keep them apart.
 */
public enum SignatureDomain {
  /** A party's approval of a job: the 32 contract-hash bytes. */
  APPROVAL("veil/approval/v1"),
  /** An entry of a party's receipt ledger: the entry hash. */
  LEDGER_ENTRY("veil/ledger-entry/v1"),
  /** A data batch sent to a peer on a stream: the SHA-256 digest of its framing and payload. */
  DATA_BATCH("veil/data-batch/v2"),
  /** A message on a job's control topic. */
  CONTROL("veil/control/v1");

  private final String context;

  SignatureDomain(String context) {
    this.context = context;
  }

  /** The RFC 8032 context string (ASCII, at most 255 bytes). */
  public String context() {
    return context;
  }

  byte[] contextBytes() {
    return context.getBytes(StandardCharsets.US_ASCII);
  }
}
