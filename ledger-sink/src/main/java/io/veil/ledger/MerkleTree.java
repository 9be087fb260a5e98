package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.ledger.internal.Hashes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Merkle tree over 32-byte leaves, as a chain sink anchors one root for a batch of receipts (whose
 * leaves are themselves roots of trees over labelled leaves, see {@link JobRoot} and
 * {@code io.veil.ledger.chain.AnchorLeaf}). Immutable and thread-safe.
 *
 * <p>The tree is the one of RFC 9162 (Certificate Transparency 2.0) section 2.1, with SHA-256 and
 * domain-separated hashing, so a leaf can never be passed off as an inner node:
 *
 * <pre>
 * root of no leaves  = SHA-256("")
 * hash of a leaf d   = SHA-256(0x00 || d)
 * root of D[0..n)    = SHA-256(0x01 || root(D[0..k)) || root(D[k..n)))   for n > 1,
 *                      where k is the largest power of two below n
 * </pre>
 *
 * <p>An odd node is not duplicated (no two different leaf lists share a root, unlike
 * Bitcoin-style trees). Inclusion proofs and their verification follow RFC 9162 section 2.1.3.
 */
public final class MerkleTree {
  /** Leaf size: a SHA-256 value. */
  public static final int LEAF_BYTES = 32;

  private static final byte LEAF_PREFIX = 0x00;
  private static final byte NODE_PREFIX = 0x01;

  private final List<byte[]> leafHashes;
  private final byte[] root;

  private MerkleTree(List<byte[]> leafHashes) {
    this.leafHashes = leafHashes;
    this.root = leafHashes.isEmpty() ? Hashes.sha256() : subtreeRoot(0, leafHashes.size());
  }

  /** Builds the tree over {@code leaves}, each {@value #LEAF_BYTES} bytes, in list order. */
  public static MerkleTree of(List<byte[]> leaves) {
    Objects.requireNonNull(leaves, "leaves");
    List<byte[]> hashed = new ArrayList<>(leaves.size());
    for (int i = 0; i < leaves.size(); i++) {
      hashed.add(leafHash(checkLeaf(leaves.get(i), "leaf " + i)));
    }
    return new MerkleTree(hashed);
  }

  /** Number of leaves. */
  public int size() {
    return leafHashes.size();
  }

  /** The 32-byte root. */
  public byte[] root() {
    return root.clone();
  }

  public String rootHex() {
    return Hashes.hex(root);
  }

  /** SHA-256(0x00 || leaf). */
  public static byte[] leafHash(byte[] leaf) {
    return Hashes.sha256(new byte[] {LEAF_PREFIX}, leaf);
  }

  /** SHA-256(0x01 || left || right). */
  public static byte[] nodeHash(byte[] left, byte[] right) {
    return Hashes.sha256(new byte[] {NODE_PREFIX}, left, right);
  }

  /** The audit path proving that leaf {@code index} is in this tree. */
  public InclusionProof proof(int index) {
    if (index < 0 || index >= size()) {
      throw new InvalidInputException("Cannot build an inclusion proof for leaf " + index + ": the tree has "
          + size() + " leaves. Pass an index from 0 to " + (size() - 1) + ".");
    }
    List<String> path = new ArrayList<>();
    collectPath(index, 0, size(), path);
    return new InclusionProof(index, size(), path);
  }

  /**
   * True if {@code proof} shows that {@code leaf} (32 bytes, before leaf hashing) is leaf
   * {@code proof.leafIndex()} of the {@code proof.treeSize()}-leaf tree with root {@code root}.
   * Take the tree size from where the root was anchored, not from the proof's sender: the root
   * binds the leaves, and the size only through the tree's shape (RFC 9162 section 2.1.3.2).
   */
  public static boolean verify(byte[] root, byte[] leaf, InclusionProof proof) {
    if (root == null || root.length != LEAF_BYTES || leaf == null || leaf.length != LEAF_BYTES
        || proof == null) {
      return false;
    }
    long fn = proof.leafIndex();
    long sn = proof.treeSize() - 1L;
    if (fn < 0 || fn > sn) {
      return false;
    }
    byte[] r = leafHash(leaf);
    for (String siblingHex : proof.path()) {
      if (sn == 0) {
        return false; // path longer than the tree is high
      }
      byte[] p = Hashes.unhex(siblingHex);
      if ((fn & 1) == 1 || fn == sn) {
        r = nodeHash(p, r);
        // A right-most node without a right sibling is promoted: climb until it is a right child.
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = nodeHash(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  private byte[] subtreeRoot(int from, int to) {
    int n = to - from;
    if (n == 1) {
      return leafHashes.get(from);
    }
    int k = largestPowerOfTwoBelow(n);
    return nodeHash(subtreeRoot(from, from + k), subtreeRoot(from + k, to));
  }

  private void collectPath(int index, int from, int to, List<String> path) {
    int n = to - from;
    if (n == 1) {
      return;
    }
    int k = largestPowerOfTwoBelow(n);
    if (index < from + k) {
      collectPath(index, from, from + k, path);
      path.add(Hashes.hex(subtreeRoot(from + k, to)));
    } else {
      collectPath(index, from + k, to, path);
      path.add(Hashes.hex(subtreeRoot(from, from + k)));
    }
  }

  /** Largest power of two strictly below {@code n}, for n >= 2. */
  private static int largestPowerOfTwoBelow(int n) {
    return Integer.highestOneBit(n - 1);
  }

  private static byte[] checkLeaf(byte[] leaf, String what) {
    if (leaf == null || leaf.length != LEAF_BYTES) {
      throw new InvalidInputException("Cannot add " + what + " to a Merkle tree: it must be " + LEAF_BYTES
          + " bytes (a SHA-256 value), got " + (leaf == null ? "null" : leaf.length + " bytes")
          + ". Pass SHA-256 values, e.g. JobRoot.Leaf.hash() or AnchorLeaf.of(entry).");
    }
    return leaf;
  }

  /**
   * An RFC 9162 inclusion proof: the sibling hashes from the leaf up to the root.
   *
   * @param leafIndex position of the leaf, from 0
   * @param treeSize number of leaves in the tree
   * @param path sibling hashes, lowercase hex, leaf level first
   */
  public record InclusionProof(int leafIndex, int treeSize, List<String> path) {
    public InclusionProof {
      if (treeSize < 1 || leafIndex < 0 || leafIndex >= treeSize) {
        throw new InvalidInputException("Cannot use inclusion proof: leafIndex " + leafIndex
            + " is not within a tree of " + treeSize + " leaves. The proof was damaged.");
      }
      Objects.requireNonNull(path, "path");
      for (String h : path) {
        if (!Hashes.isLowerHex(h, LEAF_BYTES)) {
          throw new InvalidInputException("Cannot use inclusion proof: each path element must be 64 "
              + "lowercase hex characters. The proof was damaged.");
        }
      }
      path = List.copyOf(path);
    }
  }
}
