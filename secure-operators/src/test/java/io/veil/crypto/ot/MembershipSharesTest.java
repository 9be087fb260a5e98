package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two-party membership shares in memory, against a plaintext oracle: L's applicants, P's
 * (id, amount) loans with a known overlap; for every bin the shares add up to [member] (1, amount).
 */
class MembershipSharesTest {
  private static final long MAX_AMOUNT = MembershipShares.AMOUNT_LIMIT - 1;

  /** E1 from real base OTs (L receiver, P sender); E2 from an ideal setup (P receiver, L sender). */
  private static OtTestKeys.Setup e1() {
    return OtTestKeys.fromBaseOt();
  }

  private static final OtTestKeys.Setup E2 = OtTestKeys.ideal(0xE2);

  /** Ids with duplicates in the raw input, deduplicated; the first {@code overlap} are shared. */
  private static List<byte[]> ids(SplittableRandom r, int size, int overlap, String own) {
    Set<String> s = new LinkedHashSet<>();
    for (int i = 0; i < overlap; i++) {
      s.add("shared-" + i);
    }
    while (s.size() < size) {
      s.add(own + r.nextInt(size * 4 + 1));
    }
    List<String> raw = new ArrayList<>(s);
    for (int i = 0; i < Math.min(5, s.size()); i++) {
      raw.add(raw.get(i));
    }
    List<byte[]> out = new ArrayList<>();
    new LinkedHashSet<>(raw).forEach(x -> out.add(x.getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  /** One bucket's run: both parties, every message kept. */
  private static final class Run {
    final CuckooHash table;
    final MembershipShares.Lender lender;
    final MembershipShares.Peer peer;
    final int beta;
    byte[] u;
    byte[] hint;
    byte[] eqRows;
    byte[] eq;
    byte[] open;
    byte[] sharesMsg;
    long[] lenderShares;
    long[] peerShares;
    long lenderNanos;
    long peerNanos;

    Run(int bucket, List<byte[]> lenderIds, byte[][] peerKeys, long[] amounts, String seedLabel) {
      byte[] hashSeed = OtTestKeys.seed("mlc-cuckoo-" + bucket);
      table = CuckooHash.build(hashSeed, lenderIds.toArray(new byte[0][]));
      int bins = table.binCount();
      beta = MembershipShares.beta(peerKeys.length, bins);
      lender = new MembershipShares.Lender(
          e1().receiver(), E2.sender(), OtTestKeys.seed("lender-" + seedLabel), bucket, table.oprfInputs());
      peer = new MembershipShares.Peer(
          e1().sender(), E2.receiver(), OtTestKeys.seed("peer-" + seedLabel), bucket, bins,
          CuckooHash.hashFunctions(hashSeed, bins), peerKeys, amounts, beta);
    }

    Run execute() {
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long t0 = mx.getCurrentThreadCpuTime();
      u = lender.u();
      long t1 = mx.getCurrentThreadCpuTime();
      hint = peer.hint(u);
      long t2 = mx.getCurrentThreadCpuTime();
      eqRows = lender.eqRows(hint, beta);
      long t3 = mx.getCurrentThreadCpuTime();
      eq = peer.eq(eqRows);
      long t4 = mx.getCurrentThreadCpuTime();
      open = lender.open(eq);
      long t5 = mx.getCurrentThreadCpuTime();
      sharesMsg = peer.shares(open);
      long t6 = mx.getCurrentThreadCpuTime();
      lenderShares = lender.shares(sharesMsg);
      long t7 = mx.getCurrentThreadCpuTime();
      peerShares = peer.myShares();
      lenderNanos = (t1 - t0) + (t3 - t2) + (t5 - t4) + (t7 - t6);
      peerNanos = (t2 - t1) + (t4 - t3) + (t6 - t5);
      return this;
    }
  }

  private static Run run(int lenderSize, int peerSize, int overlap, int bucket) {
    SplittableRandom r = new SplittableRandom(lenderSize * 7919L + peerSize * 31L + overlap);
    List<byte[]> l = ids(r, lenderSize, overlap, "l");
    List<byte[]> p = ids(r, peerSize, overlap, "p");
    long[] amounts = new long[p.size()];
    for (int i = 0; i < amounts.length; i++) {
      amounts[i] = i == 0 ? 0 : i == 1 ? MAX_AMOUNT : r.nextLong(MembershipShares.AMOUNT_LIMIT);
    }
    Run run = new Run(bucket, l, p.toArray(new byte[0][]), amounts, lenderSize + "/" + peerSize).execute();
    checkAgainstOracle(run, l, p, amounts, overlap);
    return run;
  }

  private static void checkAgainstOracle(Run run, List<byte[]> l, List<byte[]> p, long[] amounts, int overlap) {
    Map<ByteBuffer, Long> loans = new HashMap<>();
    for (int i = 0; i < p.size(); i++) {
      loans.put(ByteBuffer.wrap(p.get(i)), amounts[i]);
    }
    int bins = run.table.binCount();
    assertThat(run.lenderShares).hasSize(2 * bins);
    assertThat(run.peerShares).hasSize(2 * bins);
    int members = 0;
    int placed = 0;
    for (int b = 0; b < bins; b++) {
      long count = Mersenne61.add(run.lenderShares[2 * b], run.peerShares[2 * b]);
      long amount = Mersenne61.add(run.lenderShares[2 * b + 1], run.peerShares[2 * b + 1]);
      int item = run.table.itemAt(b);
      Long expected = item < 0 ? null : loans.get(ByteBuffer.wrap(l.get(item)));
      if (item >= 0) {
        placed++;
      }
      if (expected == null) {
        assertThat(new long[] {count, amount}).as("bin %d (item %d) is not a member", b, item).containsExactly(0, 0);
      } else {
        members++;
        assertThat(new long[] {count, amount}).as("bin %d is a member", b).containsExactly(1, expected);
      }
    }
    assertThat(placed).isEqualTo(l.size());
    assertThat(members).isEqualTo(overlap);
  }

  @ParameterizedTest
  @CsvSource({"0, 0, 0", "0, 5, 0", "5, 0, 0", "1, 1, 1", "1, 1, 0", "2, 2, 1", "2, 2, 2", "100, 100, 40",
    "50, 3000, 25"})
  void sharesAddUpToMembershipAndAmount(int lenderSize, int peerSize, int overlap) {
    run(lenderSize, peerSize, overlap, 3);
  }

  @Test
  void fiveThousandPerSideWithPerBinTime() {
    run(1000, 1000, 300, 1); // JIT warm-up, so the figure below is steady-state
    Run run = run(5000, 5000, 1500, 1);
    int bins = run.table.binCount();
    System.out.printf(
        "MembershipShares 5000 x 5000: %d bins, beta %d; CPU per bin: lender %.1f us, peer %.1f us, total %.1f us%n",
        bins, run.beta, run.lenderNanos / 1e3 / bins, run.peerNanos / 1e3 / bins,
        (run.lenderNanos + run.peerNanos) / 1e3 / bins);
    System.out.printf(
        "  bytes per bin: U %d, HINT %d, EQ-ROWS %d, EQ %d, OPEN %d, SHARES %d%n",
        run.u.length / bins, run.hint.length / bins, run.eqRows.length / bins, run.eq.length / bins,
        run.open.length / bins, run.sharesMsg.length / bins);
  }

  @Test
  void messagesHaveTheAdvertisedSizes() {
    Run run = run(100, 80, 30, 0);
    int bins = run.table.binCount();
    assertThat(run.u).hasSize(MembershipShares.uBytes(bins)).hasSize(64 * bins);
    assertThat(run.hint).hasSize(MembershipShares.hintBytes(bins, run.beta)).hasSize((16 * run.beta + 64) * bins);
    assertThat(run.eqRows).hasSize(MembershipShares.eqRowsBytes(bins)).hasSize(17 * 64 * bins);
    assertThat(run.eq).hasSize(MembershipShares.eqBytes(bins)).hasSize(256 * bins);
    assertThat(run.open).hasSize(MembershipShares.openBytes(bins)).hasSize(137 * bins);
    assertThat(run.sharesMsg).hasSize(MembershipShares.sharesBytes(bins)).hasSize(272 * bins);
  }

  @Test
  void lendersViewAloneLooksUniform() {
    SplittableRandom r = new SplittableRandom(5);
    List<byte[]> l = ids(r, 200, 100, "l");
    List<byte[]> p = ids(r, 150, 100, "p");
    long[] amounts = new long[p.size()];
    for (int i = 0; i < amounts.length; i++) {
      amounts[i] = 1000 + i;
    }
    Run run = new Run(2, l, p.toArray(new byte[0][]), amounts, "uniform").execute();
    checkAgainstOracle(run, l, p, amounts, 100);
    Map<ByteBuffer, Long> loans = new HashMap<>();
    for (int i = 0; i < p.size(); i++) {
      loans.put(ByteBuffer.wrap(p.get(i)), amounts[i]);
    }
    long[] decoded = run.lender.decodedAmounts();
    int bins = run.table.binCount();
    int smallCounts = 0;
    int memberBins = 0;
    int maskedAboveRange = 0;
    for (int b = 0; b < bins; b++) {
      long c = run.lenderShares[2 * b];
      if (c == 0 || c == 1) {
        smallCounts++;
      }
      int item = run.table.itemAt(b);
      Long amount = item < 0 ? null : loans.get(ByteBuffer.wrap(l.get(item)));
      if (amount != null) {
        // L's share of a member is not the result, and its decoded amount is masked by alpha.
        assertThat(c).isNotEqualTo(1);
        assertThat(run.lenderShares[2 * b + 1]).isNotEqualTo(amount);
        assertThat(decoded[b]).isNotEqualTo(amount);
        memberBins++;
        if (decoded[b] >= MembershipShares.AMOUNT_LIMIT) {
          maskedAboveRange++;
        }
      }
    }
    assertThat(smallCounts).isZero();
    // amount + alpha is uniform in F_p: it lands below 2^56 with probability 2^-5 only.
    assertThat(memberBins).isEqualTo(100);
    assertThat(maskedAboveRange).isGreaterThan(memberBins * 3 / 4);
    // What L sends before OPEN depends on P's tags only, not on P's amounts.
    long[] other = amounts.clone();
    for (int i = 0; i < other.length; i++) {
      other[i] += 17;
    }
    Run run2 = new Run(2, l, p.toArray(new byte[0][]), other, "uniform").execute();
    checkAgainstOracle(run2, l, p, other, 100);
    assertThat(run2.u).isEqualTo(run.u);
    assertThat(run2.eqRows).isEqualTo(run.eqRows);
  }

  @Test
  void rerunsAreByteIdenticalAndFreshObjectsReplay() {
    SplittableRandom r = new SplittableRandom(6);
    List<byte[]> l = ids(r, 60, 20, "l");
    List<byte[]> p = ids(r, 70, 20, "p");
    long[] amounts = new long[p.size()];
    for (int i = 0; i < amounts.length; i++) {
      amounts[i] = r.nextLong(MembershipShares.AMOUNT_LIMIT);
    }
    byte[][] keys = p.toArray(new byte[0][]);
    Run a = new Run(4, l, keys, amounts, "replay").execute();
    Run b = new Run(4, l, keys, amounts, "replay").execute();
    assertThat(b.hint).isEqualTo(a.hint);
    assertThat(b.eq).isEqualTo(a.eq);
    assertThat(b.sharesMsg).isEqualTo(a.sharesMsg);
    assertThat(b.lenderShares).isEqualTo(a.lenderShares);
    assertThat(b.peerShares).isEqualTo(a.peerShares);
    // A task that lost its lender replays the earlier steps from the stored messages.
    Run fresh = new Run(4, l, keys, amounts, "replay");
    fresh.lender.u();
    assertThat(fresh.lender.eqRows(a.hint, a.beta)).isEqualTo(a.eqRows);
    assertThat(fresh.lender.open(a.eq)).isEqualTo(a.open);
    assertThat(fresh.lender.shares(a.sharesMsg)).isEqualTo(a.lenderShares);
    // ... and a lost peer likewise.
    assertThat(fresh.peer.hint(a.u)).isEqualTo(a.hint);
    assertThat(fresh.peer.eq(a.eqRows)).isEqualTo(a.eq);
    assertThat(fresh.peer.shares(a.open)).isEqualTo(a.sharesMsg);
    assertThat(fresh.peer.myShares()).isEqualTo(a.peerShares);
    // Another seed gives other messages and shares, with the same sums.
    Run c = new Run(4, l, keys, amounts, "other-seed").execute();
    assertThat(c.hint).isNotEqualTo(a.hint);
    assertThat(c.lenderShares).isNotEqualTo(a.lenderShares);
    checkAgainstOracle(c, l, p, amounts, 20);
  }

  @Test
  void malformedMessagesFailNamingTheStep() {
    SplittableRandom r = new SplittableRandom(8);
    List<byte[]> l = ids(r, 30, 10, "l");
    List<byte[]> p = ids(r, 30, 10, "p");
    long[] amounts = new long[p.size()];
    Run ok = new Run(5, l, p.toArray(new byte[0][]), amounts, "bad").execute();
    Run bad = new Run(5, l, p.toArray(new byte[0][]), amounts, "bad");
    assertThatThrownBy(() -> bad.peer.hint(new byte[ok.u.length - 1]))
        .isInstanceOf(InvalidOtMessageException.class)
        .hasMessageContaining("U message")
        .hasMessageContaining("expected");
    assertThatThrownBy(() -> bad.lender.eqRows(new byte[ok.hint.length + 8], ok.beta))
        .isInstanceOf(InvalidOtMessageException.class).hasMessageContaining("HINT message");
    assertThatThrownBy(() -> bad.lender.eqRows(ok.hint, ok.beta + 1))
        .isInstanceOf(InvalidOtMessageException.class).hasMessageContaining("HINT message");
    assertThatThrownBy(() -> bad.peer.eq(new byte[0]))
        .isInstanceOf(InvalidOtMessageException.class).hasMessageContaining("EQ-ROWS message");
    bad.lender.eqRows(ok.hint, ok.beta);
    assertThatThrownBy(() -> bad.lender.open(new byte[ok.eq.length - 256]))
        .isInstanceOf(InvalidOtMessageException.class).hasMessageContaining("EQ message");
    bad.peer.hint(ok.u);
    bad.peer.eq(ok.eqRows);
    assertThatThrownBy(() -> bad.peer.shares(new byte[ok.open.length + 1]))
        .isInstanceOf(InvalidOtMessageException.class).hasMessageContaining("OPEN message");
    bad.lender.open(ok.eq);
    assertThatThrownBy(() -> bad.lender.shares(new byte[1]))
        .isInstanceOf(InvalidOtMessageException.class).hasMessageContaining("SHARES message");
    // Right length, wrong content: a corrupted EQ byte no longer decodes into Z_17 (or the sums break).
    byte[] garbage = new byte[ok.eq.length];
    Arrays.fill(garbage, (byte) 0x5A);
    Run third = new Run(5, l, p.toArray(new byte[0][]), amounts, "bad");
    third.lender.eqRows(ok.hint, ok.beta);
    assertThatThrownBy(() -> third.lender.open(garbage)).isInstanceOf(InvalidOtMessageException.class)
        .hasMessageContaining("not a value in Z_17");
    // Steps out of order are local misuse.
    Run order = new Run(5, l, p.toArray(new byte[0][]), amounts, "bad");
    assertThatThrownBy(() -> order.lender.open(ok.eq)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("call eqRows");
    assertThatThrownBy(() -> order.peer.shares(ok.open)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("call eq");
  }

  @Test
  void peerInputsAreChecked() {
    byte[] hashSeed = OtTestKeys.seed("mlc-cuckoo-check");
    CuckooHash.HashFunctions h = CuckooHash.hashFunctions(hashSeed, 4);
    byte[] seed = OtTestKeys.seed("peer-check");
    byte[][] keys = new byte[40][];
    long[] amounts = new long[40];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ("k" + i).getBytes(StandardCharsets.UTF_8);
    }
    // 120 balls in 4 bins cannot stay within beta = 2.
    assertThatThrownBy(() -> new MembershipShares.Peer(e1().sender(), E2.receiver(), seed, 0, 4, h, keys, amounts, 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("bin ")
        .hasMessageContaining("above the bound beta = 2");
    int beta = MembershipShares.beta(keys.length, 4);
    new MembershipShares.Peer(e1().sender(), E2.receiver(), seed, 0, 4, h, keys, amounts, beta);
    long[] tooBig = amounts.clone();
    tooBig[3] = MembershipShares.AMOUNT_LIMIT;
    assertThatThrownBy(() -> new MembershipShares.Peer(e1().sender(), E2.receiver(), seed, 0, 4, h, keys, tooBig, beta))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("amount of id 3");
    long[] negative = amounts.clone();
    negative[0] = -1;
    assertThatThrownBy(
            () -> new MembershipShares.Peer(e1().sender(), E2.receiver(), seed, 0, 4, h, keys, negative, beta))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("outside 0 .. 2^56 - 1");
    byte[][] dup = keys.clone();
    dup[5] = keys[2].clone();
    assertThatThrownBy(() -> new MembershipShares.Peer(e1().sender(), E2.receiver(), seed, 0, 4, h, dup, amounts, beta))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("occurs twice");
    assertThatThrownBy(
            () -> new MembershipShares.Peer(e1().sender(), E2.receiver(), seed, 0, 5, h, keys, amounts, beta))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("hash functions map into 4 bins");
    assertThatThrownBy(() -> new MembershipShares.Peer(
            e1().sender(), E2.receiver(), seed, MembershipShares.MAX_BUCKET + 1, 4, h, keys, amounts, beta))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("bucket");
    assertThatThrownBy(() -> new MembershipShares.Lender(
            e1().receiver(), E2.sender(), new byte[16], 0, new byte[][] {{1}, {2}}))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("16-byte seed");
  }

  @Test
  void betaIsMonotoneAndSensible() {
    int bins = 1000;
    int previous = 0;
    for (long n = 0; n <= 20_000; n += 500) {
      int b = MembershipShares.beta(n, bins);
      assertThat(b).isGreaterThanOrEqualTo(previous).isGreaterThanOrEqualTo(MembershipShares.MIN_BETA);
      previous = b;
    }
    previous = Integer.MAX_VALUE;
    for (int m = 100; m <= 100_000; m *= 2) {
      int b = MembershipShares.beta(10_000, m);
      assertThat(b).isLessThanOrEqualTo(previous);
      previous = b;
    }
    assertThat(MembershipShares.beta(0, 2)).isEqualTo(2);
    assertThat(MembershipShares.beta(5, 1)).isEqualTo(15);
    int large = MembershipShares.beta(1_000_000, 1_270_000);
    System.out.println("MembershipShares.beta(10^6 items = 3*10^6 balls, 1.27*10^6 bins) = " + large);
    assertThat(large).isBetween(15, 40);
    // 6 balls in 2 bins: any smaller bound overflows with probability far above 2^-40.
    assertThat(MembershipShares.beta(2, 2)).isEqualTo(6);
    // Reference values from an independent lgamma-based tail computation.
    assertThat(MembershipShares.beta(1_000_000, 1_270_000)).isEqualTo(26);
    assertThat(MembershipShares.beta(5000, 6350)).isEqualTo(24);
    assertThat(MembershipShares.beta(40, 4)).isEqualTo(67);
    assertThat(MembershipShares.beta(10_000, 100)).isEqualTo(441);
    assertThat(MembershipShares.beta(100, 128)).isEqualTo(21);
    assertThatThrownBy(() -> MembershipShares.beta(-1, 10)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> MembershipShares.beta(10, 0)).isInstanceOf(InvalidInputException.class);
  }
}
