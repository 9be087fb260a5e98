package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ledger.MerkleTree.InclusionProof;
import io.veil.ledger.internal.Hashes;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MerkleTreeTest {
  static List<byte[]> leaves(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Hashes.sha256(new byte[] {(byte) i, (byte) (i >> 8)}));
    }
    return out;
  }

  private static byte[] h(byte prefix, byte[]... parts) {
    byte[][] all = new byte[parts.length + 1][];
    all[0] = new byte[] {prefix};
    System.arraycopy(parts, 0, all, 1, parts.length);
    return Hashes.sha256(all);
  }

  private static byte[] leaf(byte[] d) {
    return h((byte) 0, d);
  }

  private static byte[] node(byte[] l, byte[] r) {
    return h((byte) 1, l, r);
  }

  /** Independent construction: hash each level pairwise, promoting an odd last node unchanged. */
  private static byte[] levelByLevelRoot(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      return Hashes.sha256();
    }
    List<byte[]> level = new ArrayList<>();
    leaves.forEach(d -> level.add(leaf(d)));
    while (level.size() > 1) {
      List<byte[]> next = new ArrayList<>();
      for (int i = 0; i < level.size(); i += 2) {
        next.add(i + 1 < level.size() ? node(level.get(i), level.get(i + 1)) : level.get(i));
      }
      level.clear();
      level.addAll(next);
    }
    return level.get(0);
  }

  @Test
  void rootsOfTheSmallestTreesFollowTheDefinition() {
    List<byte[]> d = leaves(3);
    assertThat(MerkleTree.of(List.of()).root()).isEqualTo(Hashes.sha256());
    assertThat(MerkleTree.of(List.of()).size()).isZero();
    assertThat(MerkleTree.of(d.subList(0, 1)).root()).isEqualTo(leaf(d.get(0)));
    assertThat(MerkleTree.of(d.subList(0, 2)).root()).isEqualTo(node(leaf(d.get(0)), leaf(d.get(1))));
    assertThat(MerkleTree.of(d).root())
        .isEqualTo(node(node(leaf(d.get(0)), leaf(d.get(1))), leaf(d.get(2))));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 31, 32, 33, 100})
  void rootMatchesLevelByLevelConstructionAndEveryProofVerifies(int n) {
    List<byte[]> d = leaves(n);
    MerkleTree tree = MerkleTree.of(d);
    assertThat(tree.root()).isEqualTo(levelByLevelRoot(d));
    int height = 32 - Integer.numberOfLeadingZeros(n - 1);
    for (int i = 0; i < n; i++) {
      InclusionProof p = tree.proof(i);
      assertThat(p.path().size()).isLessThanOrEqualTo(height);
      assertThat(MerkleTree.verify(tree.root(), d.get(i), p)).as("leaf %d of %d", i, n).isTrue();
      if (n > 1) { // the proof is for this leaf only
        assertThat(MerkleTree.verify(tree.root(), d.get((i + 1) % n), p)).isFalse();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 5, 7, 8, 11})
  void tamperedProofsFail(int n) {
    List<byte[]> d = leaves(n);
    MerkleTree tree = MerkleTree.of(d);
    byte[] root = tree.root();
    for (int i = 0; i < n; i++) {
      InclusionProof p = tree.proof(i);
      // other index (same size)
      for (int j = 0; j < n; j++) {
        if (j != i) {
          assertThat(MerkleTree.verify(root, d.get(i), new InclusionProof(j, n, p.path()))).isFalse();
        }
      }
      // a tree size whose shape needs a longer or shorter path (the size itself is bound to the
      // root by the anchor, not by the proof: sizes with the same path shape verify alike)
      int longerTree = 2 * Integer.highestOneBit(n) + 1;
      assertThat(MerkleTree.verify(root, d.get(i), new InclusionProof(i, longerTree, p.path()))).isFalse();
      // each sibling flipped
      for (int k = 0; k < p.path().size(); k++) {
        List<String> path = new ArrayList<>(p.path());
        byte[] sib = Hashes.unhex(path.get(k));
        sib[0] ^= 1;
        path.set(k, Hashes.hex(sib));
        assertThat(MerkleTree.verify(root, d.get(i), new InclusionProof(i, n, path))).isFalse();
      }
      // path too short / too long
      if (!p.path().isEmpty()) {
        assertThat(MerkleTree.verify(root, d.get(i), new InclusionProof(i, n, p.path().subList(0, p.path().size() - 1))))
            .isFalse();
      }
      List<String> longer = new ArrayList<>(p.path());
      longer.add(Hashes.hex(root));
      assertThat(MerkleTree.verify(root, d.get(i), new InclusionProof(i, n, longer))).isFalse();
      // wrong root
      byte[] otherRoot = root.clone();
      otherRoot[31] ^= 1;
      assertThat(MerkleTree.verify(otherRoot, d.get(i), p)).isFalse();
    }
  }

  /** Domain separation: an inner node cannot be proven as a leaf of a smaller tree. */
  @Test
  void innerNodeCannotPassAsALeaf() {
    List<byte[]> d = leaves(4);
    MerkleTree four = MerkleTree.of(d);
    byte[] n01 = node(leaf(d.get(0)), leaf(d.get(1)));
    byte[] n23 = node(leaf(d.get(2)), leaf(d.get(3)));
    assertThat(node(n01, n23)).isEqualTo(four.root());
    InclusionProof forged = new InclusionProof(0, 2, List.of(Hashes.hex(n23)));
    assertThat(MerkleTree.verify(four.root(), n01, forged)).isFalse();
    assertThat(MerkleTree.of(List.of(n01, n23)).root()).isNotEqualTo(four.root());
  }

  @Test
  void duplicatingTheLastLeafGivesADifferentRoot() {
    List<byte[]> three = leaves(3);
    List<byte[]> four = new ArrayList<>(three);
    four.add(three.get(2));
    assertThat(MerkleTree.of(three).root()).isNotEqualTo(MerkleTree.of(four).root());
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> MerkleTree.of(List.of(new byte[31])))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("leaf 0").hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> MerkleTree.of(leaves(3)).proof(3))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("0 to 2");
    assertThatThrownBy(() -> MerkleTree.of(List.of()).proof(0)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> new InclusionProof(2, 2, List.of())).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> new InclusionProof(0, 2, List.of("ABCD"))).isInstanceOf(InvalidInputException.class);
    assertThat(MerkleTree.verify(new byte[31], new byte[32], new InclusionProof(0, 1, List.of()))).isFalse();
  }

  @Test
  void receiptAnchorLeavesBuildATree() {
    List<byte[]> leaves = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      leaves.add(Fixtures.receipt("job-" + i).anchorLeaf());
    }
    MerkleTree tree = MerkleTree.of(leaves);
    Receipt anchored = Fixtures.receipt("job-3").withAnchors(List.of(new Receipt.Anchor(
        "evm:1337:0xabc", Receipt.AnchorStatus.CONFIRMED, "tx=0x01;root=" + tree.rootHex())));
    assertThat(MerkleTree.verify(tree.root(), anchored.anchorLeaf(), tree.proof(3))).isTrue();
  }

  @Property(tries = 200)
  void everyProofVerifiesForAnySize(@ForAll @IntRange(min = 1, max = 300) int n,
      @ForAll @IntRange(min = 0, max = 299) int index) {
    int i = index % n;
    List<byte[]> d = leaves(n);
    MerkleTree tree = MerkleTree.of(d);
    assertThat(tree.root()).isEqualTo(levelByLevelRoot(d));
    assertThat(MerkleTree.verify(tree.root(), d.get(i), tree.proof(i))).isTrue();
  }
}
