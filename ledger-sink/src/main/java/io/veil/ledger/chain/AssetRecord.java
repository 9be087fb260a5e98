package io.veil.ledger.chain;

import java.util.List;

/**
 * A data, compute or algorithm asset registered on the ledger contract.
 *
 * @param idHex the asset id, 64 lower-case hex digits
 * @param owner the owning account, {@code 0x} + 40 lower-case hex digits
 * @param proofHex the hash of the asset's off-chain metadata, 64 hex digits
 * @param storagePath where the asset's data lives, as registered
 * @param childrenHex the ids of the assets this asset uses, in registration order
 */
public record AssetRecord(
    String idHex, String owner, String proofHex, String storagePath, List<String> childrenHex) {
  public AssetRecord {
    childrenHex = List.copyOf(childrenHex);
  }
}
