package io.veil.ledger;

import io.veil.ledger.internal.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The root every party of a job computes the same: a {@link MerkleTree} over the job's shared
 * artefacts, so that all parties' receipts of one job can be compared, and a mismatch traced to
 * one artefact. A chain sink anchors these leaves with two of the party's own (its receipt's hash
 * and the entry's place in its ledger: {@code io.veil.ledger.chain.AnchorLeaf}), so every party's
 * anchor of a job holds the same job leaves.
 *
 * <p>Leaves, in this order: the contract hash; every party's approval (by party id); then for
 * every party (by id) the root of its input commitment and the root of its output commitment
 * ({@code none} when it has none, {@code unreported} when it never announced them). A party's own
 * commitments come from its receipt, the others' from {@link Receipt#peerCommitments()}. Row
 * counts and salts are not leaves: the parties do not exchange them. Round digests are not
 * either: in a job of more than two parties not every party sees every round.
 *
 * <p>Each leaf is {@code SHA-256("veil-job-leaf/v1|" label "|" value)}, so the label is bound to
 * its value.
 */
public final class JobRoot {
  /** Value of a commitment leaf for a party that has no such commitment. */
  public static final String NONE = "none";
  /** Value of a commitment leaf for a party that never announced its commitments. */
  public static final String UNREPORTED = "unreported";

  private JobRoot() {}

  /** One artefact of the job: its label (e.g. {@code input:bank_a}) and its value as text. */
  public record Leaf(String label, String value) {
    /** The 32-byte Merkle leaf. */
    public byte[] hash() {
      return Hashes.sha256(("veil-job-leaf/v1|" + label + "|" + value).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code label=hash} (hash in lowercase hex): how an anchor records the leaf. */
    public String labelledHash() {
      return label + "=" + Hashes.hex(hash());
    }
  }

  /** The label of a {@link Leaf#labelledHash()}. */
  public static String labelOf(String labelledHash) {
    return labelledHash.substring(0, labelledHash.indexOf('='));
  }

  /** The 32-byte leaf of a {@link Leaf#labelledHash()}. */
  public static byte[] hashOf(String labelledHash) {
    return Hashes.unhex(labelledHash.substring(labelledHash.indexOf('=') + 1));
  }

  /** The labelled hashes of {@code receipt}'s leaves, in leaf order. */
  public static List<String> labelledHashes(Receipt receipt) {
    return leaves(receipt).stream().map(Leaf::labelledHash).toList();
  }

  /** The job's artefacts as {@code receipt} records them, in leaf order. */
  public static List<Leaf> leaves(Receipt receipt) {
    List<Leaf> out = new ArrayList<>();
    out.add(new Leaf("contract", receipt.contractHash()));
    Map<String, String[]> commitments = new TreeMap<>();
    for (Receipt.Approval a : receipt.approvals()) {
      out.add(new Leaf("approval:" + a.party(), a.publicKey() + "|" + a.signature()));
      commitments.put(a.party(), new String[] {UNREPORTED, UNREPORTED});
    }
    commitments.put(receipt.party(), new String[] {root(receipt.inputCommitment()),
        root(receipt.outputCommitment())});
    for (Receipt.PeerCommitment p : receipt.peerCommitments()) {
      commitments.put(p.party(), new String[] {p.inputRoot() == null ? NONE : p.inputRoot(),
          p.outputRoot() == null ? NONE : p.outputRoot()});
    }
    commitments.forEach((party, c) -> {
      out.add(new Leaf("input:" + party, c[0]));
      out.add(new Leaf("output:" + party, c[1]));
    });
    return out;
  }

  /** The Merkle tree over {@link #leaves(Receipt)}. */
  public static MerkleTree tree(Receipt receipt) {
    return MerkleTree.of(leaves(receipt).stream().map(Leaf::hash).toList());
  }

  /** The 32-byte job root of {@code receipt}. */
  public static byte[] of(Receipt receipt) {
    return tree(receipt).root();
  }

  private static String root(Receipt.Commitment c) {
    return c == null ? NONE : c.root();
  }
}
