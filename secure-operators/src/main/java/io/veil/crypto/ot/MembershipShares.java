package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The two-party core of the multi-lender check: per applicant x of a lender L and one peer lender P
 * holding (id, amount) loans, L and P end with additive shares mod p = 2^61 - 1 of
 * {@code [x in P] * (1, amount_P(x))}, and neither learns the bit (semi-honest parties). Everything
 * is per bucket and per cuckoo bin: L's items of the bucket sit in a {@link CuckooHash} table of m
 * bins built by L; P knows m and the hash functions (public seed). Every bin, dummy bins included,
 * yields one pair of shares (a dummy bin's shares add up to (0, 0); the caller discards them).
 *
 * <p><b>Extensions.</b> E1: L is the KKRT receiver ({@link KkrtOprf.Receiver}), P the sender. E2:
 * P is the KKRT receiver, L the sender; from separate base OTs. Bucket b uses KKRT bucket label
 * {@code 4 b + phase}: phase 0 the OPPRF rows, 1 the chunk-OT rows, 2 L's final-OT row (all on E1),
 * 3 P's reverse-OT row (on E2), so no PRG stream is used twice; hence b &lt;= {@link #MAX_BUCKET}.
 * E1 carries 18 rows per bin and E2 one: keep 18 times the bins of all buckets of a job within
 * {@link KkrtOprf#MAX_ROWS}.
 *
 * <p><b>Messages of one bucket</b> (m bins, β = {@link #beta}; sizes by the static {@code *Bytes}
 * methods; all integers little-endian):
 * <ol>
 *   <li>U, L → P ({@link Lender#u()}, m · 64 bytes): L's E1 rows on its cuckoo inputs x || j
 *       (or dummies); L's 16-byte outputs are F(x || j).
 *   <li>HINT, P → L ({@link Peer#hint}, m · (16 β + 64) bytes): for each bin, Ptag then Pamt, β
 *       coefficients of 8 bytes each (bins in order); then P's m E2 rows. P puts each item y in bins
 *       h_0(y), h_1(y), h_2(y) with input y || j, draws a tag t_b and a mask α_b per bin and
 *       interpolates ({@link PolyOpprf}) Ptag(X) = t_b - f_tag, Pamt(X) = amount + α_b - f_amt at the
 *       key point X of each of its inputs, where (f_tag, f_amt) are the two halves of F(y || j) reduced
 *       mod p. P's E2 row of bin b encodes S_b = Σ_k s_{b,k} mod 17 of the shares of step 4.
 *   <li>EQ-ROWS, L → P ({@link Lender#eqRows}, m · 17 · 64 bytes): L decodes tag' = Ptag(X_L) +
 *       f_tag and amt' = Pamt(X_L) + f_amt (t_b and amount + α_b for a member, uniform otherwise),
 *       and sends 16 E1 rows per bin (row 16 b + k on chunk k, bits 4k .. 4k+3 of tag'), then one E1
 *       row per bin on a random r_b in Z_17.
 *   <li>EQ, P → L ({@link Peer#eq}, m · 256 bytes): for bin b, chunk k and c in 0 .. 15 the byte
 *       {@code ((s_{b,k} + [c = chunk k of t_b]) mod 17) xor F(16 b + k, c)}; L keeps its chunk's and
 *       sums A_b = Σ_k a_{b,k} mod 17; then A_b - S_b = 16 exactly for a member.
 *   <li>OPEN, L → P ({@link Lender#open}, m · 137 bytes): per bin δ_b = A_b - r_b mod 17 (1 byte)
 *       and a 1-of-17 OT on E2 for P's choice S_b: message c' is
 *       {@code w2_b + [A_b - c' = 16] · amt'} mod p, 8 bytes xor L's E2 evaluation at c'.
 *   <li>SHARES, P → L ({@link Peer#shares}, m · 272 bytes): a derandomized 1-of-17 OT on L's
 *       choice r_b: position c carries M[c + δ_b] xor P's E1 evaluation at c, where M[a] = (w1c_b +
 *       [a - S_b = 16], w1a_b - [a - S_b = 16] · α_b), 2 × 8 bytes. L decodes M[A_b].
 * </ol>
 * Shares, per bin (count, amount): L = (count part, amount part - w2_b) of M[A_b]; P = (-w1c_b,
 * received - w1a_b). Their sums mod p are [member] · (1, amount). A non-member bin is a false
 * positive only if all 61 tag bits match, probability 2^-61 per bin.
 *
 * <p><b>Leakage.</b> P learns m (so L's item count, up to the table factor) and nothing else: every
 * byte it receives is an OT-extension row or padded by L's OT outputs, δ_b is masked by r_b and the
 * reverse OT gives it w2_b (+ amt'). L learns β, hence roughly P's item count in the bucket, and
 * nothing else: the polynomials are uniform given the OPRF values, and everything it decodes is
 * masked by P's s, α, w1. Neither party learns any membership bit before shares are combined.
 *
 * <p><b>Determinism.</b> All randomness comes from the caller's 32-byte seed per (party, bucket)
 * through {@link SeededPrg} streams, and the KKRT encodings are deterministic, so each step is a
 * function of the constructor arguments and the messages received so far: a task that lost its
 * state rebuilds the object and replays the earlier steps with the stored messages; the messages it
 * sends are byte-identical. Objects are not thread-safe.
 */
public final class MembershipShares {
  /** Seed bytes per party and bucket. */
  public static final int SEED_BYTES = SeededPrg.SEED_BYTES;
  /** Amounts must be below 2^56. */
  public static final long AMOUNT_LIMIT = 1L << 56;
  /** Largest bucket index: KKRT labels 4 b + 3 must fit an {@code int}. */
  public static final int MAX_BUCKET = Integer.MAX_VALUE / 4;
  /** Smallest β that {@link #beta} returns. */
  public static final int MIN_BETA = 2;
  /** Statistical security of {@link #beta}, in bits. */
  public static final int SIGMA = 40;

  static final int CHUNKS = 16;
  static final int CHUNK_VALUES = 16;
  static final int MOD = 17;
  private static final int OPRF_BYTES = 16;
  private static final int ROW = KkrtOprf.ROW_BYTES;
  private static final int EQ_PER_BIN = CHUNKS * CHUNK_VALUES;
  private static final int OPEN_PER_BIN = 1 + MOD * 8;
  private static final int SHARES_PER_BIN = MOD * 16;
  private static final byte[][] SMALL = new byte[MOD][];
  /** KKRT codes of the one-byte inputs 0 .. 16, computed once (the evaluations of steps 4-6 reuse them). */
  private static final long[][] SMALL_CODES = new long[MOD][];

  static {
    for (int c = 0; c < MOD; c++) {
      SMALL[c] = new byte[] {(byte) c};
      SMALL_CODES[c] = KkrtOprf.codeOf(SMALL[c]);
    }
  }

  private MembershipShares() {}

  /**
   * The bound β on the load of a simple-hashing bin: the smallest β &gt;= {@value #MIN_BETA} such that,
   * when each of {@code senderItemsInBucket} items throws 3 balls into {@code bins} bins uniformly and
   * independently (the 3 hash functions as random oracles), the probability that some bin receives
   * more than β balls is at most 2^-{@value #SIGMA}. Computed with the union bound over the bins,
   * {@code bins · Pr[Bin(3n, 1/bins) > β] <= 2^-40}, the binomial tail summed exactly in log space.
   * The peer computes it from its own item count; the lender learns it from the message sizes.
   * Example: about 25 for 3 · 10^6 balls into 1.27 · 10^6 bins (mean load 2.4).
   *
   * @throws InvalidInputException if the count is negative or too large, or bins &lt; 1
   */
  public static int beta(long senderItemsInBucket, int bins) {
    if (senderItemsInBucket < 0 || senderItemsInBucket > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          "Cannot bound the bin load for " + senderItemsInBucket + " items: use 0 .. " + Integer.MAX_VALUE
              + " items per bucket.");
    }
    if (bins < 1) {
      throw new InvalidInputException("Cannot bound the bin load of " + bins + " bins: use at least 1 bin.");
    }
    long balls = 3 * senderItemsInBucket;
    if (balls <= MIN_BETA) {
      return MIN_BETA;
    }
    if (bins == 1) {
      return toBeta(balls);
    }
    double p = 1.0 / bins;
    double logOdds = Math.log(p) - Math.log1p(-p);
    double target = -SIGMA * Math.log(2) - Math.log(bins);
    double mean = balls * p;
    // log Pr[X = i] for i = 0 .. last, until past the mean and negligible against the target.
    double[] logPmf = new double[64];
    double lp = balls * Math.log1p(-p);
    int last = 0;
    logPmf[0] = lp;
    while (last < balls && !(last > mean && logPmf[last] < target - 60)) {
      lp += Math.log((double) (balls - last)) - Math.log(last + 1.0) + logOdds;
      last++;
      if (last == logPmf.length) {
        logPmf = Arrays.copyOf(logPmf, logPmf.length * 2);
      }
      logPmf[last] = lp;
    }
    // Beyond `last` the terms fall geometrically from below target - 60: negligible.
    // tail(beta) = log Pr[X > beta]; find the smallest beta with tail(beta) <= target.
    double tail = Double.NEGATIVE_INFINITY;
    int beta = last;
    for (int b = last - 1; b >= 0; b--) {
      tail = logAdd(tail, logPmf[b + 1]);
      if (tail > target) {
        break;
      }
      beta = b;
    }
    return toBeta(Math.max(beta, MIN_BETA));
  }

  private static int toBeta(long beta) {
    if (beta > Integer.MAX_VALUE / 16) {
      throw new InvalidInputException(
          "Cannot use a bin bound of " + beta + ": the peer's items are far too many for the bins. Use more bins "
              + "(a larger lender bucket) or more buckets.");
    }
    return (int) Math.max(beta, MIN_BETA);
  }

  private static double logAdd(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** Bytes of the U message (L → P) for {@code bins} bins: 64 per bin. */
  public static int uBytes(int bins) {
    return size(bins, ROW, "U");
  }

  /** Bytes of the HINT message (P → L): {@code 16 beta + 64} per bin. */
  public static int hintBytes(int bins, int beta) {
    if (beta < 1 || beta > Integer.MAX_VALUE / 16 - ROW) {
      throw new InvalidInputException("Cannot size the hint for beta = " + beta + ": use MembershipShares.beta.");
    }
    return size(bins, 16 * beta + ROW, "HINT");
  }

  /** Bytes of the EQ-ROWS message (L → P): 17 rows of 64 bytes per bin. */
  public static int eqRowsBytes(int bins) {
    return size(bins, (CHUNKS + 1) * ROW, "EQ-ROWS");
  }

  /** Bytes of the EQ message (P → L): 256 per bin. */
  public static int eqBytes(int bins) {
    return size(bins, EQ_PER_BIN, "EQ");
  }

  /** Bytes of the OPEN message (L → P): 1 + 17 · 8 = 137 per bin. */
  public static int openBytes(int bins) {
    return size(bins, OPEN_PER_BIN, "OPEN");
  }

  /** Bytes of the SHARES message (P → L): 17 · 16 = 272 per bin. */
  public static int sharesBytes(int bins) {
    return size(bins, SHARES_PER_BIN, "SHARES");
  }

  private static int size(int bins, int perBin, String step) {
    if (bins < 1) {
      throw new InvalidInputException("Cannot size the " + step + " message for " + bins + " bins: use 1 or more.");
    }
    long s = (long) bins * perBin;
    if (s > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          "Cannot run the " + step + " step on " + bins + " bins: its message would exceed 2 GiB. Use more, smaller "
              + "buckets.");
    }
    return (int) s;
  }

  private static int label(int bucket, int phase) {
    return 4 * bucket + phase;
  }

  private static void checkCommon(byte[] seed, int bucket, int bins) {
    Objects.requireNonNull(seed, "seed");
    if (seed.length != SEED_BYTES) {
      throw new InvalidInputException(
          "Cannot run the membership shares with a " + seed.length + "-byte seed: use " + SEED_BYTES
              + " uniform secret bytes per party and bucket.");
    }
    if (bucket < 0 || bucket > MAX_BUCKET) {
      throw new InvalidInputException(
          "Cannot run the membership shares on bucket " + bucket + ": use 0 .. " + MAX_BUCKET
              + " (four KKRT labels per bucket).");
    }
    if (bins < 1) {
      throw new InvalidInputException(
          "Cannot run the membership shares on " + bins + " bins: a cuckoo table has at least 1 (see "
              + "CuckooHash.binCount).");
    }
    eqRowsBytes(bins);
  }

  private static void checkLength(byte[] msg, int expected, String step, int bucket) {
    Objects.requireNonNull(msg, step);
    if (msg.length != expected) {
      throw new InvalidOtMessageException(
          "read the " + step + " message of bucket " + bucket,
          "it has " + msg.length + " bytes, expected " + expected);
    }
  }

  private static long xorPad(byte[] msg, int off, byte[] pad, int padOff) {
    return Mersenne61.readLong(msg, off) ^ Mersenne61.readLong(pad, padOff);
  }

  private static long canonical(long v, String step, int bucket, int bin) {
    if (!Mersenne61.isCanonical(v)) {
      throw new InvalidOtMessageException(
          "decode the " + step + " message of bucket " + bucket,
          "bin " + bin + " decodes to a value outside F_(2^61-1), so the parties' OT keys or seeds do not match");
    }
    return v;
  }

  /**
   * The lender's side of one bucket. Call {@link #u()}, {@link #eqRows}, {@link #open}, {@link #shares}
   * in this order; to resume after losing the object, rebuild it and call the earlier steps again with
   * the stored messages (each step is deterministic).
   */
  public static final class Lender {
    private final KkrtOprf.Receiver e1;
    private final KkrtOprf.Sender e2;
    private final int bucket;
    private final int bins;
    private final byte[][] inputs;
    private final int[] r;
    private final long[] w2;

    private KkrtOprf.Encoded oprf;
    private long[] tag;
    private long[] amt;
    private byte[] peerE2Rows;
    private KkrtOprf.Encoded chunkRows;
    private KkrtOprf.Encoded finalRows;
    private int[] sums;

    /**
     * @param e1 L's receiver role of extension E1 (P holds the matching sender)
     * @param e2 L's sender role of extension E2 (P holds the matching receiver)
     * @param seed 32 uniform secret bytes for this lender and bucket
     * @param bucket the bucket index, 0 .. {@link #MAX_BUCKET}
     * @param binInputs the cuckoo table's inputs, one per bin ({@link CuckooHash#oprfInputs()}); not copied
     */
    public Lender(KkrtOprf.Receiver e1, KkrtOprf.Sender e2, byte[] seed, int bucket, byte[][] binInputs) {
      this.e1 = Objects.requireNonNull(e1, "e1");
      this.e2 = Objects.requireNonNull(e2, "e2");
      Objects.requireNonNull(binInputs, "binInputs");
      checkCommon(seed, bucket, binInputs.length);
      for (int b = 0; b < binInputs.length; b++) {
        if (binInputs[b] == null) {
          throw new InvalidInputException(
              "Cannot run the lender's side: bin " + b + " has no input. Pass CuckooHash.oprfInputs().");
        }
      }
      this.bucket = bucket;
      this.bins = binInputs.length;
      this.inputs = binInputs;
      SeededPrg rPrg = new SeededPrg(seed, "lender/choice", bucket);
      SeededPrg wPrg = new SeededPrg(seed, "lender/w2", bucket);
      r = new int[bins];
      w2 = new long[bins];
      for (int b = 0; b < bins; b++) {
        r[b] = rPrg.nextBelow(MOD);
        w2[b] = wPrg.nextField();
      }
    }

    /** Number of bins. */
    public int bins() {
      return bins;
    }

    /** Step U: L's E1 rows on its bin inputs, {@link #uBytes} bytes (a copy). */
    public byte[] u() {
      if (oprf == null) {
        oprf = e1.encode(label(bucket, 0), inputs, OPRF_BYTES);
      }
      return oprf.u().clone();
    }

    /**
     * Step EQ-ROWS: decodes the peer's HINT and returns L's chunk and final-OT rows, {@link #eqRowsBytes}
     * bytes.
     *
     * @param hint the peer's HINT message
     * @param beta the bin bound the peer used ({@link #beta} of its item count), from the job's metadata
     * @throws InvalidOtMessageException if the hint has the wrong length
     */
    public byte[] eqRows(byte[] hint, int beta) {
      checkLength(hint, hintBytes(bins, beta), "HINT", bucket);
      u();
      byte[] outs = oprf.outputs();
      tag = new long[bins];
      amt = new long[bins];
      long[] coeffs = new long[2 * beta];
      byte[][] chunkInputs = new byte[bins * CHUNKS][];
      byte[][] finalInputs = new byte[bins][];
      for (int b = 0; b < bins; b++) {
        int off = b * 16 * beta;
        for (int t = 0; t < 2 * beta; t++) {
          coeffs[t] = canonical(Mersenne61.readLong(hint, off + 8 * t), "HINT", bucket, b);
        }
        long x = PolyOpprf.keyPoint(inputs[b]);
        long fTag = Mersenne61.fromLittleEndian(outs, b * OPRF_BYTES);
        long fAmt = Mersenne61.fromLittleEndian(outs, b * OPRF_BYTES + 8);
        tag[b] = Mersenne61.add(PolyOpprf.evaluate(coeffs, 0, beta, x), fTag);
        amt[b] = Mersenne61.add(PolyOpprf.evaluate(coeffs, beta, beta, x), fAmt);
        for (int k = 0; k < CHUNKS; k++) {
          chunkInputs[b * CHUNKS + k] = SMALL[(int) (tag[b] >>> (4 * k)) & 0xF];
        }
        finalInputs[b] = SMALL[r[b]];
      }
      int e2Off = bins * 16 * beta;
      peerE2Rows = Arrays.copyOfRange(hint, e2Off, hint.length);
      chunkRows = e1.encode(label(bucket, 1), chunkInputs, 1);
      finalRows = e1.encode(label(bucket, 2), finalInputs, 16);
      byte[] msg = new byte[eqRowsBytes(bins)];
      System.arraycopy(chunkRows.u(), 0, msg, 0, chunkRows.u().length);
      System.arraycopy(finalRows.u(), 0, msg, chunkRows.u().length, finalRows.u().length);
      return msg;
    }

    /**
     * Step OPEN: from the peer's EQ message, L's masked equality result and its reverse OT of the
     * masked amount, {@link #openBytes} bytes. Requires {@link #eqRows} on this object.
     *
     * @throws InvalidOtMessageException if the message has the wrong length or does not decode
     */
    public byte[] open(byte[] eq) {
      if (chunkRows == null) {
        throw new InvalidInputException(
            "Cannot open bucket " + bucket + " before eqRows: call eqRows(hint, beta) first (replay it with the "
                + "stored HINT message when resuming).");
      }
      checkLength(eq, eqBytes(bins), "EQ", bucket);
      KkrtOprf.Evaluator rev = e2.evaluator(label(bucket, 3), peerE2Rows, bins, 8);
      byte[] chunkOut = chunkRows.outputs();
      byte[] msg = new byte[openBytes(bins)];
      byte[] pad = new byte[8];
      sums = new int[bins];
      for (int b = 0; b < bins; b++) {
        int a = 0;
        for (int k = 0; k < CHUNKS; k++) {
          int chunk = (int) (tag[b] >>> (4 * k)) & 0xF;
          int row = b * CHUNKS + k;
          int v = (eq[b * EQ_PER_BIN + k * CHUNK_VALUES + chunk] ^ chunkOut[row]) & 0xFF;
          if (v >= MOD) {
            throw new InvalidOtMessageException(
                "decode the EQ message of bucket " + bucket,
                "bin " + b + " chunk " + k + " decodes to " + v + ", not a value in Z_17, so the parties' OT keys "
                    + "or seeds do not match");
          }
          a += v;
        }
        int sum = a % MOD;
        sums[b] = sum;
        int off = b * OPEN_PER_BIN;
        msg[off] = (byte) Math.floorMod(sum - r[b], MOD);
        for (int c = 0; c < MOD; c++) {
          long v = Math.floorMod(sum - c, MOD) == MOD - 1 ? Mersenne61.add(w2[b], amt[b]) : w2[b];
          rev.evalCode(b, SMALL_CODES[c], pad, 0);
          Mersenne61.toLittleEndian(v ^ Mersenne61.readLong(pad, 0), msg, off + 1 + 8 * c);
        }
      }
      return msg;
    }

    /**
     * Step SHARES: L's shares from the peer's SHARES message, {@code 2 * bins} longs: bin b's count share
     * at {@code 2 b}, its amount share at {@code 2 b + 1}, in F_p. Requires {@link #open} on this object.
     *
     * @throws InvalidOtMessageException if the message has the wrong length or does not decode
     */
    public long[] shares(byte[] sharesMsg) {
      if (sums == null) {
        throw new InvalidInputException(
            "Cannot take the shares of bucket " + bucket + " before open: call open(eq) first (replay eqRows and "
                + "open with the stored messages when resuming).");
      }
      checkLength(sharesMsg, sharesBytes(bins), "SHARES", bucket);
      byte[] outs = finalRows.outputs();
      long[] shares = new long[2 * bins];
      for (int b = 0; b < bins; b++) {
        int off = b * SHARES_PER_BIN + 16 * r[b];
        long count = canonical(xorPad(sharesMsg, off, outs, 16 * b), "SHARES", bucket, b);
        long amount = canonical(xorPad(sharesMsg, off + 8, outs, 16 * b + 8), "SHARES", bucket, b);
        shares[2 * b] = count;
        shares[2 * b + 1] = Mersenne61.sub(amount, w2[b]);
      }
      return shares;
    }

    /** For tests: the decoded amt' per bin (amount + α for a member), valid after {@link #eqRows}. */
    long[] decodedAmounts() {
      return amt.clone();
    }

    @Override
    public String toString() {
      return "MembershipShares.Lender(bucket=" + bucket + ", bins=" + bins + ")";
    }
  }

  /**
   * The peer's side of one bucket. Call {@link #hint}, {@link #eq}, {@link #shares} in this order, then
   * read {@link #myShares()}; to resume, rebuild it and replay the earlier steps with the stored messages.
   */
  public static final class Peer {
    private final KkrtOprf.Sender e1;
    private final KkrtOprf.Receiver e2;
    private final byte[] seed;
    private final int bucket;
    private final int bins;
    private final int beta;
    private final byte[][] keys;
    private final long[] amounts;
    private final int[] binStart;
    private final int[] binEntries;
    private final long[] tag;
    private final long[] alpha;
    private final byte[] s;
    private final int[] sumS;
    private final long[] w1c;
    private final long[] w1a;

    private KkrtOprf.Encoded reverseRows;
    private KkrtOprf.Evaluator finalEval;
    private long[] myShares;

    /**
     * @param e1 P's sender role of extension E1 (L holds the matching receiver)
     * @param e2 P's receiver role of extension E2 (L holds the matching sender)
     * @param seed 32 uniform secret bytes for this peer and bucket
     * @param bucket the bucket index, 0 .. {@link #MAX_BUCKET}
     * @param bins the lender's bin count for the bucket
     * @param h the cuckoo hash functions of the bucket (into {@code bins} bins)
     * @param keys P's ids in the bucket, distinct (not copied, not modified)
     * @param amounts P's amount per id, 0 .. 2^56 - 1
     * @param beta the bin bound, {@link #beta}{@code (keys.length, bins)}
     * @throws InvalidInputException on an amount out of range, a duplicate id, mismatched sizes, or a
     *     bin receiving more than beta items (probability 2^-40 with {@link #beta}; then retry with a
     *     new hash seed)
     */
    public Peer(
        KkrtOprf.Sender e1,
        KkrtOprf.Receiver e2,
        byte[] seed,
        int bucket,
        int bins,
        CuckooHash.HashFunctions h,
        byte[][] keys,
        long[] amounts,
        int beta) {
      this.e1 = Objects.requireNonNull(e1, "e1");
      this.e2 = Objects.requireNonNull(e2, "e2");
      Objects.requireNonNull(h, "h");
      Objects.requireNonNull(keys, "keys");
      Objects.requireNonNull(amounts, "amounts");
      checkCommon(seed, bucket, bins);
      hintBytes(bins, beta);
      if (h.binCount() != bins) {
        throw new InvalidInputException(
            "Cannot run the peer's side: the hash functions map into " + h.binCount() + " bins, the lender's table "
                + "has " + bins + ". Create them with CuckooHash.hashFunctions(seed, bins).");
      }
      if (keys.length != amounts.length) {
        throw new InvalidInputException(
            "Cannot run the peer's side: " + keys.length + " ids but " + amounts.length + " amounts. Pass one "
                + "amount per id.");
      }
      Set<ByteBuffer> seen = new HashSet<>();
      for (int i = 0; i < keys.length; i++) {
        if (keys[i] == null) {
          throw new InvalidInputException("Cannot run the peer's side: id " + i + " is null.");
        }
        if (amounts[i] < 0 || amounts[i] >= AMOUNT_LIMIT) {
          throw new InvalidInputException(
              "Cannot run the peer's side: the amount of id " + i + " is " + amounts[i] + ", outside 0 .. 2^56 - 1. "
                  + "Scale or cap amounts to that range.");
        }
        if (!seen.add(ByteBuffer.wrap(keys[i]))) {
          throw new InvalidInputException(
              "Cannot run the peer's side: id " + i + " occurs twice. Deduplicate the ids (one loan amount per id).");
        }
      }
      this.seed = seed.clone();
      this.bucket = bucket;
      this.bins = bins;
      this.beta = beta;
      this.keys = keys;
      this.amounts = amounts;
      // Simple hashing: entry 3 i + j (item i, hash j) goes to bin h_j(key_i).
      int n = keys.length;
      int[] target = new int[3 * n];
      int[] load = new int[bins + 1];
      int[] tmp = new int[3];
      for (int i = 0; i < n; i++) {
        h.bins(keys[i], tmp);
        for (int j = 0; j < 3; j++) {
          target[3 * i + j] = tmp[j];
          load[tmp[j] + 1]++;
        }
      }
      for (int b = 0; b < bins; b++) {
        if (load[b + 1] > beta) {
          throw new InvalidInputException(
              "Cannot run the peer's side of bucket " + bucket + ": bin " + b + " receives " + load[b + 1]
                  + " items, above the bound beta = " + beta + ". With beta = MembershipShares.beta(" + n + ", "
                  + bins + ") this happens with probability at most 2^-40; retry the bucket with a new hash seed, "
                  + "or compute beta from this bucket's item count.");
        }
        load[b + 1] += load[b];
      }
      binStart = load.clone();
      binEntries = new int[3 * n];
      int[] fill = load;
      for (int e = 0; e < 3 * n; e++) {
        binEntries[fill[target[e]]++] = e;
      }
      SeededPrg tagPrg = new SeededPrg(this.seed, "peer/tag", bucket);
      SeededPrg alphaPrg = new SeededPrg(this.seed, "peer/alpha", bucket);
      SeededPrg sPrg = new SeededPrg(this.seed, "peer/chunk-shares", bucket);
      SeededPrg wPrg = new SeededPrg(this.seed, "peer/w1", bucket);
      tag = new long[bins];
      alpha = new long[bins];
      s = new byte[bins * CHUNKS];
      sumS = new int[bins];
      w1c = new long[bins];
      w1a = new long[bins];
      for (int b = 0; b < bins; b++) {
        tag[b] = tagPrg.nextField();
        alpha[b] = alphaPrg.nextField();
        int sum = 0;
        for (int k = 0; k < CHUNKS; k++) {
          int v = sPrg.nextBelow(MOD);
          s[b * CHUNKS + k] = (byte) v;
          sum += v;
        }
        sumS[b] = sum % MOD;
        w1c[b] = wPrg.nextField();
        w1a[b] = wPrg.nextField();
      }
    }

    /** Number of bins. */
    public int bins() {
      return bins;
    }

    /**
     * Step HINT: from L's U, the two OPPRF polynomials per bin and P's E2 rows, {@link #hintBytes} bytes.
     *
     * @throws InvalidOtMessageException if U has the wrong length
     */
    public byte[] hint(byte[] u) {
      checkLength(u, uBytes(bins), "U", bucket);
      KkrtOprf.Evaluator ev = e1.evaluator(label(bucket, 0), u, bins, OPRF_BYTES);
      SeededPrg padPrg = new SeededPrg(seed, "peer/padding", bucket);
      byte[] msg = new byte[hintBytes(bins, beta)];
      long[] xs = new long[beta];
      long[] yTag = new long[beta];
      long[] yAmt = new long[beta];
      long[] coeffs = new long[2 * beta];
      byte[] f = new byte[OPRF_BYTES];
      for (int b = 0; b < bins; b++) {
        int k = 0;
        for (int p = binStart[b]; p < binStart[b + 1]; p++) {
          int e = binEntries[p];
          byte[] input = CuckooHash.oprfInput(keys[e / 3], e % 3);
          ev.eval(b, input, f, 0);
          xs[k] = PolyOpprf.keyPoint(input);
          yTag[k] = Mersenne61.sub(tag[b], Mersenne61.fromLittleEndian(f, 0));
          yAmt[k] = Mersenne61.sub(Mersenne61.add(amounts[e / 3], alpha[b]), Mersenne61.fromLittleEndian(f, 8));
          k++;
        }
        PolyOpprf.interpolate(xs, yTag, k, beta, padPrg, coeffs, 0);
        PolyOpprf.interpolate(xs, yAmt, k, beta, padPrg, coeffs, beta);
        int off = b * 16 * beta;
        for (int t = 0; t < 2 * beta; t++) {
          Mersenne61.toLittleEndian(coeffs[t], msg, off + 8 * t);
        }
      }
      byte[] rows = reverseRows().u();
      System.arraycopy(rows, 0, msg, bins * 16 * beta, rows.length);
      return msg;
    }

    private KkrtOprf.Encoded reverseRows() {
      if (reverseRows == null) {
        byte[][] choice = new byte[bins][];
        for (int b = 0; b < bins; b++) {
          choice[b] = SMALL[sumS[b]];
        }
        reverseRows = e2.encode(label(bucket, 3), choice, 8);
      }
      return reverseRows;
    }

    /**
     * Step EQ: from L's EQ-ROWS, P's 16 padded messages per chunk, {@link #eqBytes} bytes.
     *
     * @throws InvalidOtMessageException if EQ-ROWS has the wrong length
     */
    public byte[] eq(byte[] eqRows) {
      checkLength(eqRows, eqRowsBytes(bins), "EQ-ROWS", bucket);
      int chunkLen = bins * CHUNKS * ROW;
      KkrtOprf.Evaluator chunkEval =
          e1.evaluator(label(bucket, 1), Arrays.copyOfRange(eqRows, 0, chunkLen), bins * CHUNKS, 1);
      finalEval = e1.evaluator(label(bucket, 2), Arrays.copyOfRange(eqRows, chunkLen, eqRows.length),
          bins, 16);
      byte[] msg = new byte[eqBytes(bins)];
      byte[] pad = new byte[1];
      for (int b = 0; b < bins; b++) {
        for (int k = 0; k < CHUNKS; k++) {
          int row = b * CHUNKS + k;
          int mine = (int) (tag[b] >>> (4 * k)) & 0xF;
          int sk = s[row];
          for (int c = 0; c < CHUNK_VALUES; c++) {
            int v = c == mine ? (sk + 1) % MOD : sk;
            chunkEval.evalCode(row, SMALL_CODES[c], pad, 0);
            msg[b * EQ_PER_BIN + k * CHUNK_VALUES + c] = (byte) (v ^ pad[0]);
          }
        }
      }
      return msg;
    }

    /**
     * Step SHARES: from L's OPEN, the final OT messages, {@link #sharesBytes} bytes; afterwards
     * {@link #myShares()} holds P's shares. Requires {@link #eq} on this object.
     *
     * @throws InvalidOtMessageException if OPEN has the wrong length or does not decode
     */
    public byte[] shares(byte[] open) {
      if (finalEval == null) {
        throw new InvalidInputException(
            "Cannot answer OPEN of bucket " + bucket + " before eq: call eq(eqRows) first (replay hint and eq with "
                + "the stored messages when resuming).");
      }
      checkLength(open, openBytes(bins), "OPEN", bucket);
      byte[] revOut = reverseRows().outputs();
      byte[] msg = new byte[sharesBytes(bins)];
      long[] mine = new long[2 * bins];
      byte[] pad = new byte[16];
      for (int b = 0; b < bins; b++) {
        int off = b * OPEN_PER_BIN;
        int delta = open[off] & 0xFF;
        if (delta >= MOD) {
          throw new InvalidOtMessageException(
              "read the OPEN message of bucket " + bucket,
              "bin " + b + " has delta " + delta + ", not a value in Z_17");
        }
        long received =
            canonical(xorPad(open, off + 1 + 8 * sumS[b], revOut, 8 * b), "OPEN", bucket, b);
        mine[2 * b] = Mersenne61.neg(w1c[b]);
        mine[2 * b + 1] = Mersenne61.sub(received, w1a[b]);
        for (int c = 0; c < MOD; c++) {
          int a = (c + delta) % MOD;
          boolean hit = Math.floorMod(a - sumS[b], MOD) == MOD - 1;
          long count = hit ? Mersenne61.add(w1c[b], 1) : w1c[b];
          long amount = hit ? Mersenne61.sub(w1a[b], alpha[b]) : w1a[b];
          finalEval.evalCode(b, SMALL_CODES[c], pad, 0);
          int mOff = b * SHARES_PER_BIN + 16 * c;
          Mersenne61.toLittleEndian(count ^ Mersenne61.readLong(pad, 0), msg, mOff);
          Mersenne61.toLittleEndian(amount ^ Mersenne61.readLong(pad, 8), msg, mOff + 8);
        }
      }
      myShares = mine;
      return msg;
    }

    /**
     * P's shares, {@code 2 * bins} longs laid out as {@link Lender#shares}; valid after {@link #shares}.
     */
    public long[] myShares() {
      if (myShares == null) {
        throw new InvalidInputException(
            "Cannot read the peer's shares of bucket " + bucket + " before shares(open): call it first.");
      }
      return myShares.clone();
    }

    @Override
    public String toString() {
      return "MembershipShares.Peer(bucket=" + bucket + ", bins=" + bins + ", beta=" + beta + ")";
    }
  }
}
