package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.crypto.Sha256;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Batched oblivious pseudorandom function from OT extension: the BaRK-OPRF of Kolesnikov,
 * Kumaresan, Rosulek and Trieu, "Efficient Batched Oblivious PRF with Applications to Private Set
 * Intersection" (CCS 2016, ePrint 2016/799, figure 2), the core of OPRF-based PSI.
 *
 * <p><b>Roles.</b> The OPRF <i>receiver</i> ({@link Receiver}, the PSI receiver) holds one input
 * per row (per cuckoo bin) and learns the PRF value of each; it plays the base-OT
 * <i>sender</i> ({@link BaseOt.Sender}) and holds {@link #BASE_OT_COUNT} seed pairs. The OPRF
 * <i>sender</i> ({@link Sender}, the PSI sender) holds the key, i.e. random choice bits s and the
 * chosen seeds; it plays the base-OT <i>receiver</i> ({@link BaseOt.Receiver}) and can evaluate
 * the PRF of any row on any input.
 *
 * <p><b>Protocol, per bucket.</b> w = {@value #CODE_BITS}. For column j the receiver expands both
 * seeds into t0_j = G(k0_j), t1_j = G(k1_j) (m bits each) and forms the m x w matrices T0, T1 whose
 * columns they are; with C the pseudorandom code, it sends {@code U_i = T0_i xor T1_i xor C(x_i)}
 * for every row i ({@link Encoded#u()}, row-major, {@link #ROW_BYTES} bytes per row) and outputs
 * {@code H(bucket, i, T0_i)}. The sender expands its seeds into T_s and computes {@code Q_i = T_s,i
 * xor (U_i and s) = T0_i xor (C(x_i) and s)}; its PRF is {@code F(i, x) = H(bucket, i, Q_i xor
 * (C(x) and s))}, which equals the receiver's output exactly when C(x) = C(x_i).
 *
 * <p><b>Primitives.</b>
 * <ul>
 *   <li>G, the PRG expanding a base seed: AES-128 in counter mode (javax.crypto, AES-NI when the
 *       JVM has it), key = the 16-byte seed, initial counter block {@code bucket (4 bytes BE) ||
 *       column (4 bytes BE) || 0^64}; row i of the bucket is bit {@code i mod 8} of key-stream
 *       byte {@code i / 8}. Distinct buckets use disjoint, independent streams of the same seeds.
 *   <li>C, the pseudorandom code: {@code C(x) = SHA-512("veil-kkrt/code/v1" || x)}, 512 bits,
 *       modelled as a random oracle (KKRT16 need a PRF; a random oracle is one).
 *   <li>H, the output hash (correlation-robust): {@code SHA-256("veil-kkrt/out/v1" || bucket
 *       (4 bytes BE) || row (4 bytes BE) || the 64-byte row)}, truncated to the caller's {@code
 *       outBytes} (1..32).
 * </ul>
 * Bit and byte order: a 64-byte row is 8 little-endian 64-bit words, column j is bit {@code j mod
 * 64} of word {@code j / 64}.
 *
 * <p><b>Security.</b> Semi-honest, 128-bit computational security (κ = 128) and 40-bit statistical
 * security (σ = 40), given secure base OTs ({@link BaseOt}), AES-128 as a PRF, SHA-256 as a
 * correlation-robust hash and SHA-512 as a random oracle. The code width w = 512 follows KKRT16:
 * the code must keep every difference C(x) xor C(x') of weight at least κ among all pairs the
 * protocol touches, except with probability 2^-σ; the paper's parameter analysis gives widths below
 * 512 bits for up to 2^24 OPRF instances at κ = 128, σ = 40 (about 424-448 bits, as we recall its
 * table; not re-derived here), and its implementation, like libOTe and mpc4j, uses 512 bits = 4 AES
 * blocks. Veil's
 * parameters therefore hold for up to {@link #MAX_ROWS} rows per job, over all buckets together.
 * The sender learns the number of rows per bucket; the receiver learns its own outputs only.
 *
 * <p><b>Buckets.</b> Buckets (Spark partitions) run independent extensions from the same base
 * OTs with no interaction between buckets: each is a disjoint slice of one long OT extension.
 * <b>A (job, bucket) must be encoded at most once</b>: encoding the same bucket twice with
 * different inputs lets the sender see C(x) xor C(x') and so learn whether inputs are equal. A
 * re-run with identical inputs gives identical messages (everything is deterministic in the seeds),
 * so resuming a bucket is safe.
 *
 * <p><b>Thread safety.</b> {@link Receiver} and {@link Sender} are immutable and thread-safe; one
 * instance serves all buckets, in parallel. {@link Evaluator} is immutable and thread-safe.
 * {@link Encoded} holds the arrays it returns (no copies; they may be large).
 */
public final class KkrtOprf {
  /** Width of the pseudorandom code, in bits: the number of base OTs. */
  public static final int CODE_BITS = 512;
  /** Number of base OTs one job needs ({@link #CODE_BITS}). */
  public static final int BASE_OT_COUNT = CODE_BITS;
  /** Bytes of one row of U, T or Q: {@link #CODE_BITS} / 8. */
  public static final int ROW_BYTES = CODE_BITS / 8;
  /** Bytes of a base-OT seed (an AES-128 key); {@link BaseOt#KEY_BYTES}. */
  public static final int SEED_BYTES = BaseOt.KEY_BYTES;
  /** Largest output length, in bytes. */
  public static final int MAX_OUTPUT_BYTES = 32;
  /** Most rows per job (all buckets together) the code width is sized for: 2^24. */
  public static final int MAX_ROWS = 1 << 24;

  private static final int ROW_WORDS = CODE_BITS / 64;
  /** Rows expanded and transposed at a time (a multiple of 64). */
  private static final int CHUNK_ROWS = 2048;

  private static final byte[] CODE_DOMAIN = "veil-kkrt/code/v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OUT_DOMAIN = "veil-kkrt/out/v1".getBytes(StandardCharsets.US_ASCII);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private KkrtOprf() {}

  /** The OPRF receiver (PSI receiver): base-OT sender, holding both seeds of every column. */
  public static final class Receiver {
    private final byte[][] seeds0;
    private final byte[][] seeds1;

    /**
     * @param seeds0 k0_j for j = 0 .. 511 ({@link BaseOt.Sender#keys}{@code [j][0]}), 16 bytes each
     * @param seeds1 k1_j for j = 0 .. 511 ({@code keys[j][1]}), 16 bytes each
     */
    public Receiver(byte[][] seeds0, byte[][] seeds1) {
      this.seeds0 = copySeeds(seeds0, "seeds0");
      this.seeds1 = copySeeds(seeds1, "seeds1");
    }

    /** Convenience: from {@link BaseOt.Sender#keys(byte[])} of 512 OTs. */
    public static Receiver fromBaseOt(byte[][][] baseOtKeys) {
      Objects.requireNonNull(baseOtKeys, "baseOtKeys");
      byte[][] k0 = new byte[baseOtKeys.length][];
      byte[][] k1 = new byte[baseOtKeys.length][];
      for (int j = 0; j < baseOtKeys.length; j++) {
        k0[j] = baseOtKeys[j][0];
        k1[j] = baseOtKeys[j][1];
      }
      return new Receiver(k0, k1);
    }

    /**
     * Encodes the inputs of one bucket: row i holds {@code inputs[i]} (arbitrary bytes; empty cuckoo
     * bins hold a dummy, see {@link CuckooHash#dummyInput}).
     *
     * @param bucket the bucket index, 0 or more; use each once per job
     * @param inputs one input per row (not modified)
     * @param outBytes bytes of each OPRF output, 1 .. 32
     * @return U to send to the sender, and this side's outputs
     */
    public Encoded encode(int bucket, byte[][] inputs, int outBytes) {
      Objects.requireNonNull(inputs, "inputs");
      checkCommon(bucket, inputs.length, outBytes);
      int m = inputs.length;
      byte[] u = new byte[m * ROW_BYTES];
      byte[] outputs = new byte[m * outBytes];
      if (m == 0) {
        return new Encoded(u, outputs, 0, outBytes);
      }
      ColumnPrg prg0 = new ColumnPrg(seeds0, bucket);
      ColumnPrg prg1 = new ColumnPrg(seeds1, bucket);
      long[] rows0 = new long[CHUNK_ROWS * ROW_WORDS];
      long[] rows1 = new long[CHUNK_ROWS * ROW_WORDS];
      Scratch scratch = SCRATCH.get();
      long[] code = scratch.code;
      for (int start = 0; start < m; start += CHUNK_ROWS) {
        int n = Math.min(CHUNK_ROWS, m - start);
        prg0.nextRows(n, rows0);
        prg1.nextRows(n, rows1);
        for (int r = 0; r < n; r++) {
          int row = start + r;
          code(inputs[row], scratch, code);
          int base = r * ROW_WORDS;
          int uOff = row * ROW_BYTES;
          for (int l = 0; l < ROW_WORDS; l++) {
            LONG_LE.set(u, uOff + 8 * l, rows0[base + l] ^ rows1[base + l] ^ code[l]);
          }
          outputHash(bucket, row, rows0, base, scratch, outputs, row * outBytes, outBytes);
        }
      }
      return new Encoded(u, outputs, m, outBytes);
    }

    @Override
    public String toString() {
      return "KkrtOprf.Receiver(w=" + CODE_BITS + ", seeds=***)";
    }
  }

  /** The result of {@link Receiver#encode}: U for the sender, and the receiver's outputs. */
  public static final class Encoded {
    private final byte[] u;
    private final byte[] outputs;
    private final int count;
    private final int outBytes;

    private Encoded(byte[] u, byte[] outputs, int count, int outBytes) {
      this.u = u;
      this.outputs = outputs;
      this.count = count;
      this.outBytes = outBytes;
    }

    /** Number of rows m. */
    public int count() {
      return count;
    }

    /** Bytes of each output. */
    public int outputBytes() {
      return outBytes;
    }

    /** U, row-major: {@code m *} {@link #ROW_BYTES} bytes, row i at {@code [64 i, 64 i + 64)}. Not a copy. */
    public byte[] u() {
      return u;
    }

    /** All outputs, row i at {@code [outBytes * i, outBytes * (i + 1))}. Not a copy. */
    public byte[] outputs() {
      return outputs;
    }

    /** The output of row {@code row} (a copy). */
    public byte[] output(int row) {
      Objects.checkIndex(row, count);
      byte[] o = new byte[outBytes];
      System.arraycopy(outputs, row * outBytes, o, 0, outBytes);
      return o;
    }

    @Override
    public String toString() {
      return "KkrtOprf.Encoded(rows=" + count + ", outBytes=" + outBytes + ")";
    }
  }

  /** The OPRF sender (PSI sender, key holder): base-OT receiver with choice bits s. */
  public static final class Sender {
    private final long[] s;
    private final byte[][] seeds;

    /**
     * @param s the 512 base-OT choice bits (uniformly random, secret; they are the PRF key)
     * @param seedsS k_{s_j} for j = 0 .. 511 ({@link BaseOt.Receiver#keys()}), 16 bytes each
     */
    public Sender(boolean[] s, byte[][] seedsS) {
      Objects.requireNonNull(s, "s");
      if (s.length != CODE_BITS) {
        throw new InvalidInputException(
            "Cannot create the OPRF sender: " + s.length + " choice bits, expected " + CODE_BITS
                + ". Run " + BASE_OT_COUNT + " base OTs.");
      }
      this.s = new long[ROW_WORDS];
      for (int j = 0; j < CODE_BITS; j++) {
        if (s[j]) {
          this.s[j >>> 6] |= 1L << (j & 63);
        }
      }
      this.seeds = copySeeds(seedsS, "seedsS");
    }

    /**
     * The PRF of one bucket, from the receiver's U for it.
     *
     * @param bucket the bucket index the receiver encoded
     * @param u the receiver's U: {@code m *} {@link #ROW_BYTES} bytes (read, not kept)
     * @param m the number of rows, as agreed (e.g. the cuckoo table's bin count)
     * @param outBytes bytes of each output, 1 .. 32, as the receiver uses
     * @throws InvalidOtMessageException if {@code u} does not have {@code m * 64} bytes
     */
    public Evaluator evaluator(int bucket, byte[] u, int m, int outBytes) {
      Objects.requireNonNull(u, "u");
      checkCommon(bucket, m, outBytes);
      if (u.length != m * ROW_BYTES) {
        throw new InvalidOtMessageException(
            "evaluate the OPRF of bucket " + bucket,
            "the receiver's correction matrix has " + u.length + " bytes, expected " + m + " rows of " + ROW_BYTES
                + " bytes (" + ((long) m * ROW_BYTES) + ")");
      }
      long[] q = new long[m * ROW_WORDS];
      if (m > 0) {
        ColumnPrg prg = new ColumnPrg(seeds, bucket);
        long[] rows = new long[CHUNK_ROWS * ROW_WORDS];
        for (int start = 0; start < m; start += CHUNK_ROWS) {
          int n = Math.min(CHUNK_ROWS, m - start);
          prg.nextRows(n, rows);
          int qOff = start * ROW_WORDS;
          for (int k = 0; k < n * ROW_WORDS; k++) {
            long uw = (long) LONG_LE.get(u, (qOff + k) * 8);
            q[qOff + k] = rows[k] ^ (uw & s[k & (ROW_WORDS - 1)]);
          }
        }
      }
      return new Evaluator(bucket, m, outBytes, q, s);
    }

    @Override
    public String toString() {
      return "KkrtOprf.Sender(w=" + CODE_BITS + ", key=***)";
    }
  }

  /** The sender's PRF for one bucket: F(row, x) for any row and input. Immutable, thread-safe. */
  public static final class Evaluator {
    private final int bucket;
    private final int rows;
    private final int outBytes;
    private final long[] q;
    private final long[] s;

    private Evaluator(int bucket, int rows, int outBytes, long[] q, long[] s) {
      this.bucket = bucket;
      this.rows = rows;
      this.outBytes = outBytes;
      this.q = q;
      this.s = s;
    }

    /** Number of rows of the bucket. */
    public int rows() {
      return rows;
    }

    /** Bytes of each output. */
    public int outputBytes() {
      return outBytes;
    }

    /** Writes F(row, input) to {@code out[outOff, outOff + outputBytes())}. */
    public void eval(int row, byte[] input, byte[] out, int outOff) {
      Objects.checkIndex(row, rows);
      Objects.requireNonNull(input, "input");
      Objects.checkFromIndexSize(outOff, outBytes, out.length);
      Scratch scratch = SCRATCH.get();
      long[] v = scratch.code;
      code(input, scratch, v);
      int base = row * ROW_WORDS;
      for (int l = 0; l < ROW_WORDS; l++) {
        v[l] = q[base + l] ^ (v[l] & s[l]);
      }
      outputHash(bucket, row, v, 0, scratch, out, outOff, outBytes);
    }

    /**
     * As {@link #eval(int, byte[], byte[], int)} for an input whose code {@link #codeOf} the caller
     * computed once, to evaluate many rows on the same small set of inputs (e.g. 1-of-N OTs).
     */
    void evalCode(int row, long[] inputCode, byte[] out, int outOff) {
      Objects.checkIndex(row, rows);
      Objects.checkFromIndexSize(outOff, outBytes, out.length);
      Scratch scratch = SCRATCH.get();
      long[] v = scratch.code;
      int base = row * ROW_WORDS;
      for (int l = 0; l < ROW_WORDS; l++) {
        v[l] = q[base + l] ^ (inputCode[l] & s[l]);
      }
      outputHash(bucket, row, v, 0, scratch, out, outOff, outBytes);
    }

    /** F(row, input) as a new array. */
    public byte[] eval(int row, byte[] input) {
      byte[] out = new byte[outBytes];
      eval(row, input, out, 0);
      return out;
    }

    @Override
    public String toString() {
      return "KkrtOprf.Evaluator(bucket=" + bucket + ", rows=" + rows + ", key=***)";
    }
  }

  /**
   * AES-128-CTR streams of the 512 columns of one bucket, read {@code n} rows at a time and
   * transposed to rows.
   */
  private static final class ColumnPrg {
    private final Cipher[] ciphers = new Cipher[CODE_BITS];
    private final byte[] zeros = new byte[CHUNK_ROWS / 8];
    private final byte[] stream = new byte[CODE_BITS * (CHUNK_ROWS / 8)];
    private final long[] cols = new long[CODE_BITS * (CHUNK_ROWS / 64)];
    private final long[] scratch = new long[64];

    ColumnPrg(byte[][] seeds, int bucket) {
      try {
        for (int j = 0; j < CODE_BITS; j++) {
          byte[] iv = new byte[16];
          ByteBuffer.wrap(iv).putInt(bucket).putInt(j);
          Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
          c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seeds[j], "AES"), new IvParameterSpec(iv));
          ciphers[j] = c;
        }
      } catch (GeneralSecurityException e) {
        throw new VeilException("Cannot expand the OT seeds: AES-128-CTR is unavailable in this JVM.", e);
      }
    }

    /** The next {@code n} (at most CHUNK_ROWS) rows into {@code rows}, 8 words per row. */
    void nextRows(int n, long[] rows) {
      int words = (n + 63) >>> 6;
      int colBytes = words * 8;
      try {
        for (int j = 0; j < CODE_BITS; j++) {
          ciphers[j].update(zeros, 0, colBytes, stream, j * colBytes);
        }
      } catch (ShortBufferException e) {
        throw new IllegalStateException(e);
      }
      LongBuffer view = ByteBuffer.wrap(stream, 0, CODE_BITS * colBytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
      view.get(cols, 0, CODE_BITS * words);
      BitTranspose.columnsToRows(cols, CODE_BITS, words, rows, scratch);
    }
  }

  /** Per-thread digests and buffers. */
  private static final class Scratch {
    final MessageDigest sha512;
    final MessageDigest sha256 = Sha256.newDigest();
    final byte[] wide = new byte[64];
    final byte[] rowBytes = new byte[ROW_BYTES];
    final byte[] header = new byte[8];
    final long[] code = new long[ROW_WORDS];

    Scratch() {
      try {
        sha512 = MessageDigest.getInstance("SHA-512");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK must provide SHA-512", e);
      }
    }
  }

  /** C(x) as 8 little-endian words, for {@link Evaluator#evalCode}. */
  static long[] codeOf(byte[] x) {
    Objects.requireNonNull(x, "x");
    long[] out = new long[ROW_WORDS];
    code(x, SCRATCH.get(), out);
    return out;
  }

  /** C(x) as 8 little-endian words. */
  private static void code(byte[] x, Scratch scratch, long[] out) {
    MessageDigest sha = scratch.sha512;
    sha.update(CODE_DOMAIN);
    sha.update(x);
    try {
      sha.digest(scratch.wide, 0, 64);
    } catch (DigestException e) {
      throw new IllegalStateException(e);
    }
    for (int l = 0; l < ROW_WORDS; l++) {
      out[l] = (long) LONG_LE.get(scratch.wide, 8 * l);
    }
  }

  /** H(bucket, row, words[off .. off+8)) truncated to outBytes, into out[outOff ..]. */
  private static void outputHash(
      int bucket, int row, long[] words, int off, Scratch scratch, byte[] out, int outOff, int outBytes) {
    for (int l = 0; l < ROW_WORDS; l++) {
      LONG_LE.set(scratch.rowBytes, 8 * l, words[off + l]);
    }
    byte[] h = scratch.header;
    h[0] = (byte) (bucket >>> 24);
    h[1] = (byte) (bucket >>> 16);
    h[2] = (byte) (bucket >>> 8);
    h[3] = (byte) bucket;
    h[4] = (byte) (row >>> 24);
    h[5] = (byte) (row >>> 16);
    h[6] = (byte) (row >>> 8);
    h[7] = (byte) row;
    MessageDigest sha = scratch.sha256;
    sha.update(OUT_DOMAIN);
    sha.update(h);
    sha.update(scratch.rowBytes);
    try {
      sha.digest(scratch.wide, 0, 32);
    } catch (DigestException e) {
      throw new IllegalStateException(e);
    }
    System.arraycopy(scratch.wide, 0, out, outOff, outBytes);
  }

  private static void checkCommon(int bucket, int m, int outBytes) {
    if (bucket < 0) {
      throw new InvalidInputException("Cannot run the OPRF: bucket " + bucket + " is negative. Number buckets from 0.");
    }
    if (m < 0 || m > MAX_ROWS) {
      throw new InvalidInputException(
          "Cannot run the OPRF on " + m + " rows: a job supports 0 .. " + MAX_ROWS
              + " rows (the code width is sized for 2^24). Split the job or use fewer bins.");
    }
    if (outBytes < 1 || outBytes > MAX_OUTPUT_BYTES) {
      throw new InvalidInputException(
          "Cannot run the OPRF with " + outBytes + "-byte outputs: use 1 .. " + MAX_OUTPUT_BYTES + " bytes.");
    }
  }

  private static byte[][] copySeeds(byte[][] seeds, String name) {
    Objects.requireNonNull(seeds, name);
    if (seeds.length != CODE_BITS) {
      throw new InvalidInputException(
          "Cannot set up the OPRF: " + name + " has " + seeds.length + " seeds, expected " + CODE_BITS
              + ". Run " + BASE_OT_COUNT + " base OTs.");
    }
    byte[][] copy = new byte[CODE_BITS][];
    for (int j = 0; j < CODE_BITS; j++) {
      if (seeds[j] == null || seeds[j].length != SEED_BYTES) {
        throw new InvalidInputException(
            "Cannot set up the OPRF: " + name + "[" + j + "] is not a " + SEED_BYTES + "-byte seed. Use the base OT keys.");
      }
      copy[j] = seeds[j].clone();
    }
    return copy;
  }
}
