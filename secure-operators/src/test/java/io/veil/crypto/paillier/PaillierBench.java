package io.veil.crypto.paillier;

import io.veil.crypto.paillier.PaillierPublicKey.Encryptor;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Random;

/**
 * Single-thread throughput of Paillier at 2048 bits: public and owner encryption, homomorphic
 * additions (validated accumulate) and decryptions. Run: {@code java -cp ... PaillierBench [ops]}.
 */
public final class PaillierBench {
  private PaillierBench() {}

  public static void main(String[] args) {
    int ops = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    byte[] seed = new byte[32];
    long t0 = System.nanoTime();
    PaillierKeyPair keys = PaillierKeyPair.generate(PaillierPublicKey.DEFAULT_MODULUS_BITS, seed);
    PaillierPublicKey pk = keys.publicKey();
    System.out.printf("keygen 2048: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    Arrays.fill(seed, (byte) 1);
    t0 = System.nanoTime();
    Encryptor pub = pk.encryptor(seed);
    System.out.printf("public encryptor setup: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    t0 = System.nanoTime();
    Encryptor own = keys.encryptor(seed);
    System.out.printf("owner encryptor setup: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    Random rnd = new Random(1);
    BigInteger[] values = new BigInteger[ops];
    for (int i = 0; i < ops; i++) {
      values[i] = BigInteger.valueOf(rnd.nextLong() & Long.MAX_VALUE);
    }
    for (int round = 0; round < 2; round++) { // round 0 warms up
      String tag = round == 0 ? "(warm-up) " : "";
      byte[][] cts = new byte[ops][];
      long s = System.nanoTime();
      for (int i = 0; i < ops; i++) {
        cts[i] = pub.encrypt(values[i]);
      }
      report(tag + "public encryptions", ops, s);
      s = System.nanoTime();
      for (int i = 0; i < ops; i++) {
        cts[i] = own.encrypt(values[i]);
      }
      report(tag + "owner encryptions", ops, s);
      s = System.nanoTime();
      BigInteger sum = BigInteger.ONE;
      for (int rep = 0; rep < 5; rep++) {
        for (int i = 0; i < ops; i++) {
          sum = pk.accumulate(sum, cts[i]);
        }
      }
      report(tag + "additions (accumulate, validated)", 5 * ops, s);
      s = System.nanoTime();
      int reps = Math.max(1, ops / 2);
      for (int i = 0; i < reps; i++) {
        cts[i] = pub.rerandomise(cts[i]);
      }
      report(tag + "rerandomisations (public)", reps, s);
      s = System.nanoTime();
      int decs = Math.max(1, ops / 4);
      for (int i = 0; i < decs; i++) {
        if (keys.decrypt(cts[decs + i]).signum() < 0) {
          throw new AssertionError();
        }
      }
      report(tag + "decryptions", decs, s);
      if (!keys.decrypt(pk.encode(sum)).equals(sumOf(values, pk.n()).multiply(BigInteger.valueOf(5)).mod(pk.n()))) {
        throw new AssertionError("sum mismatch");
      }
    }
  }

  private static BigInteger sumOf(BigInteger[] values, BigInteger n) {
    BigInteger s = BigInteger.ZERO;
    for (BigInteger v : values) {
      s = s.add(v);
    }
    return s.mod(n);
  }

  private static void report(String what, int count, long startNanos) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf("%-45s %9.0f /s  (%d in %.2f s)%n", what, count / seconds, count, seconds);
  }
}
