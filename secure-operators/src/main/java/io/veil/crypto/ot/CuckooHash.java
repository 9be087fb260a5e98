package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import io.veil.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The PSI receiver's cuckoo table for OPRF-based PSI (KKRT16 section 5): every item goes to one of
 * its {@value #HASH_COUNT} candidate bins, at most one item per bin, no stash. The PSI sender uses
 * the same {@link HashFunctions} for simple hashing: it evaluates the OPRF of bin {@code h_j(x)} on
 * {@link #oprfInput(byte[], int) x || j} for every item x and j = 0, 1, 2; the receiver's row for
 * a bin holding y via hash j carries y || j, so an item whose hashes collide is still evaluated once
 * per hash index and matches exactly once.
 *
 * <p><b>Table size.</b> {@link #binCount(int)}: {@code ceil(1.27 n)} bins for n > 256, the factor
 * that Pinkas, Schneider and Zohner ("Scalable Private Set Intersection Based on OT Extension", ACM
 * TOPS 21(2), 2018) determined experimentally for 3 hash functions without a stash at failure
 * probability 2^-40, and that Pinkas, Schneider, Tkachenko and Yanai (Eurocrypt 2019) use for the
 * same setting. Those experiments extrapolate to large n; for n ≤ 256 the same analysis needs more
 * room, and this class uses the larger factors mpc4j applies there (n = 1: 2 bins; 2-3: 15.6 n;
 * 4-7: 10 n; 8-15: 6 n; 16-31: 4 n; 32-63: 3 n; 64-127: 2 n; 128-256: 1.5 n). A table never has
 * fewer than 2 bins, so n = 0 gives 2 bins of dummies and the sender's side works unchanged. These
 * are empirical estimates, not proofs: 2^-40 cannot be confirmed by simulation.
 *
 * <p><b>Insertion</b> is a random walk: an item takes a free candidate bin if it has one, else
 * evicts the occupant of a random candidate bin (not the one it was just evicted from), which is
 * re-inserted the same way; after {@value #MAX_EVICTIONS} evictions for one item the build fails
 * with {@link CuckooInsertionException}, and the caller retries with a new seed. The walk's
 * randomness comes from the seed, so a table is a deterministic function of (seed, items, bins).
 *
 * <p><b>Hash functions.</b> {@code SHA-256("veil-cuckoo/v1" || seed || x)} read as three
 * big-endian 64-bit words v_0, v_1, v_2; {@code h_j(x) = floor(v_j * bins / 2^64)}. The seed
 * (16 or 32 bytes) is public to both parties and fresh per job; it need not be secret.
 *
 * <p><b>Dummies.</b> An empty bin holds {@link #dummyInput(int) bin (4 bytes BE) || 0xFF}; real
 * OPRF inputs end in 0x00, 0x01 or 0x02, so no dummy equals any real input.
 *
 * <p>Items must be distinct (deduplicate first): d copies of one item need d of its 3 bins, so
 * four copies always fail. Immutable once built; thread-safe.
 */
public final class CuckooHash {
  /** Number of hash functions (candidate bins per item). */
  public static final int HASH_COUNT = 3;
  /** Evictions allowed while inserting one item before the build fails. */
  public static final int MAX_EVICTIONS = 1024;
  /** Largest number of items a table takes: 2^23, so that its bins fit {@link KkrtOprf#MAX_ROWS}. */
  public static final int MAX_ITEMS = KkrtOprf.MAX_ROWS / 2;

  private static final byte[] DOMAIN = "veil-cuckoo/v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte DUMMY_TAG = (byte) 0xFF;

  private final HashFunctions hashes;
  private final byte[][] items;
  private final int[] itemOfBin;
  private final byte[] hashOfBin;

  private CuckooHash(HashFunctions hashes, byte[][] items, int[] itemOfBin, byte[] hashOfBin) {
    this.hashes = hashes;
    this.items = items;
    this.itemOfBin = itemOfBin;
    this.hashOfBin = hashOfBin;
  }

  /**
   * The number of bins for {@code n} receiver items (see the class comment).
   *
   * @throws InvalidInputException if n is negative or above {@link #MAX_ITEMS}
   */
  public static int binCount(int n) {
    if (n < 0 || n > MAX_ITEMS) {
      throw new InvalidInputException(
          "Cannot size a cuckoo table for " + n + " items: supported are 0 .. " + MAX_ITEMS
              + ". Split the input into buckets.");
    }
    double factor;
    if (n <= 1) {
      return 2;
    } else if (n < 4) {
      factor = 15.6;
    } else if (n < 8) {
      factor = 10.0;
    } else if (n < 16) {
      factor = 6.0;
    } else if (n < 32) {
      factor = 4.0;
    } else if (n < 64) {
      factor = 3.0;
    } else if (n < 128) {
      factor = 2.0;
    } else if (n <= 256) {
      factor = 1.5;
    } else {
      factor = 1.27;
    }
    return (int) Math.ceil(factor * n);
  }

  /** The hash functions for a table of {@code bins} bins under {@code seed} (16 or 32 bytes). */
  public static HashFunctions hashFunctions(byte[] seed, int bins) {
    return new HashFunctions(seed, bins);
  }

  /** Builds the table for {@code items} with {@link #binCount(int) binCount(items.length)} bins. */
  public static CuckooHash build(byte[] seed, byte[][] items) {
    Objects.requireNonNull(items, "items");
    return build(seed, items, binCount(items.length));
  }

  /**
   * Builds the table for {@code items} (distinct; not copied, not modified) with {@code bins} bins.
   *
   * @throws CuckooInsertionException if an item cannot be placed within {@link #MAX_EVICTIONS}
   *     evictions; retry with a new seed (or more bins)
   */
  public static CuckooHash build(byte[] seed, byte[][] items, int bins) {
    Objects.requireNonNull(items, "items");
    HashFunctions hashes = new HashFunctions(seed, bins);
    int n = items.length;
    int[] candidates = new int[n * HASH_COUNT];
    int[] tmp = new int[HASH_COUNT];
    for (int i = 0; i < n; i++) {
      hashes.bins(Objects.requireNonNull(items[i], "item"), tmp);
      System.arraycopy(tmp, 0, candidates, i * HASH_COUNT, HASH_COUNT);
    }
    int[] itemOfBin = new int[bins];
    Arrays.fill(itemOfBin, -1);
    byte[] hashOfBin = new byte[bins];
    Arrays.fill(hashOfBin, (byte) -1);
    SplittableRandom walk = new SplittableRandom(hashes.walkSeed);
    for (int i = 0; i < n; i++) {
      int current = i;
      int lastBin = -1;
      int evictions = 0;
      while (true) {
        int cBase = current * HASH_COUNT;
        int placedAt = -1;
        for (int j = 0; j < HASH_COUNT && placedAt < 0; j++) {
          int b = candidates[cBase + j];
          if (itemOfBin[b] < 0) {
            itemOfBin[b] = current;
            hashOfBin[b] = (byte) j;
            placedAt = b;
          }
        }
        if (placedAt >= 0) {
          break;
        }
        if (evictions == MAX_EVICTIONS) {
          throw new CuckooInsertionException(n, bins, MAX_EVICTIONS);
        }
        int j;
        do {
          j = walk.nextInt(HASH_COUNT);
        } while (candidates[cBase + j] == lastBin && !allSame(candidates, cBase));
        int b = candidates[cBase + j];
        int evicted = itemOfBin[b];
        itemOfBin[b] = current;
        hashOfBin[b] = (byte) j;
        current = evicted;
        lastBin = b;
        evictions++;
      }
    }
    return new CuckooHash(hashes, items, itemOfBin, hashOfBin);
  }

  private static boolean allSame(int[] c, int base) {
    return c[base] == c[base + 1] && c[base] == c[base + 2];
  }

  /** The OPRF input for item {@code x} placed with hash index {@code j}: {@code x || j}. */
  public static byte[] oprfInput(byte[] x, int hashIndex) {
    Objects.requireNonNull(x, "x");
    Objects.checkIndex(hashIndex, HASH_COUNT);
    byte[] in = Arrays.copyOf(x, x.length + 1);
    in[x.length] = (byte) hashIndex;
    return in;
  }

  /** The OPRF input of empty bin {@code bin}: {@code bin (4 bytes BE) || 0xFF}; equals no real input. */
  public static byte[] dummyInput(int bin) {
    return new byte[] {(byte) (bin >>> 24), (byte) (bin >>> 16), (byte) (bin >>> 8), (byte) bin, DUMMY_TAG};
  }

  /** Number of bins (OPRF rows). */
  public int binCount() {
    return itemOfBin.length;
  }

  /** Number of items placed. */
  public int itemCount() {
    return items.length;
  }

  /** The hash functions of this table (for the sender, or to check a placement). */
  public HashFunctions hashFunctions() {
    return hashes;
  }

  /** Index (into the items given to {@link #build}) of the item in {@code bin}, or -1 if empty. */
  public int itemAt(int bin) {
    return itemOfBin[bin];
  }

  /** The hash index (0, 1 or 2) that placed the item in {@code bin}, or -1 if empty. */
  public int hashIndexAt(int bin) {
    return hashOfBin[bin];
  }

  /** The OPRF input of every bin, in bin order: {@code x || j}, or a dummy for an empty bin. */
  public byte[][] oprfInputs() {
    byte[][] in = new byte[itemOfBin.length][];
    for (int b = 0; b < in.length; b++) {
      in[b] = itemOfBin[b] < 0 ? dummyInput(b) : oprfInput(items[itemOfBin[b]], hashOfBin[b]);
    }
    return in;
  }

  @Override
  public String toString() {
    return "CuckooHash(items=" + items.length + ", bins=" + itemOfBin.length + ")";
  }

  /** The 3 keyed hash functions into {@code [0, bins)}. Immutable and thread-safe. */
  public static final class HashFunctions {
    private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(Sha256::newDigest);
    private final byte[] seed;
    private final int bins;
    private final long walkSeed;

    private HashFunctions(byte[] seed, int bins) {
      Objects.requireNonNull(seed, "seed");
      if (seed.length != 16 && seed.length != 32) {
        throw new InvalidInputException(
            "Cannot create cuckoo hash functions: the seed is " + seed.length + " bytes, not 16 or 32. "
                + "Derive it per job from the agreed job id.");
      }
      if (bins < 1) {
        throw new InvalidInputException(
            "Cannot create cuckoo hash functions into " + bins + " bins: use at least 1 (see CuckooHash.binCount).");
      }
      this.seed = seed.clone();
      this.bins = bins;
      byte[] w = Sha256.hash(concat("veil-cuckoo/walk/v1".getBytes(StandardCharsets.US_ASCII), seed));
      long s = 0;
      for (int i = 0; i < 8; i++) {
        s = (s << 8) | (w[i] & 0xFF);
      }
      this.walkSeed = s;
    }

    /** Number of bins hashed into. */
    public int binCount() {
      return bins;
    }

    /** The candidate bins h_0(x), h_1(x), h_2(x) (they may coincide). */
    public int[] bins(byte[] item) {
      int[] out = new int[HASH_COUNT];
      bins(item, out);
      return out;
    }

    /** The candidate bins of {@code item} into {@code out[0..3)}. */
    public void bins(byte[] item, int[] out) {
      Objects.requireNonNull(item, "item");
      MessageDigest sha = SHA.get();
      sha.update(DOMAIN);
      sha.update(seed);
      sha.update(item);
      byte[] d = sha.digest();
      for (int j = 0; j < HASH_COUNT; j++) {
        long v = 0;
        for (int k = 0; k < 8; k++) {
          v = (v << 8) | (d[8 * j + k] & 0xFF);
        }
        // floor(v * bins / 2^64) for unsigned v: the signed high product, corrected for v's sign bit.
        out[j] = (int) (Math.multiplyHigh(v, bins) + (v < 0 ? bins : 0));
      }
    }

    @Override
    public String toString() {
      return "CuckooHash.HashFunctions(bins=" + bins + ")";
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
