package io.veil.psi;

import io.veil.channel.ControlLog;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.PartySecret;
import io.veil.spark.KeyRef;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Runs both sides of PSI in one JVM (two driver threads) over an in-memory channel. */
final class TwoPartyPsi {
  final InMemoryChannel channel;
  final String jobId;
  final PartySecret a;
  final PartySecret b;
  final KeyRef keyA;
  final KeyRef keyB;

  TwoPartyPsi(Path dir) {
    String name = "t-" + UUID.randomUUID();
    channel = new InMemoryChannel(name);
    jobId = name.replace("-", "").substring(0, 20);
    SecureRandom rnd = new SecureRandom();
    a = PartySecret.generate("bank_a", rnd);
    b = PartySecret.generate("bank_b", rnd);
    Path fa = dir.resolve(name + "-a.key");
    Path fb = dir.resolve(name + "-b.key");
    a.write(fa);
    b.write(fb);
    keyA = new KeyRef(fa.toString());
    keyB = new KeyRef(fb.toString());
  }

  Map<String, IdentityPublicKey> keys() {
    return Map.of("bank_a", a.identity().publicKey(), "bank_b", b.identity().publicKey());
  }

  PsiContext context(String me) {
    boolean isA = me.equals("bank_a");
    String peer = isA ? "bank_b" : "bank_a";
    ControlLog log = new ControlLog(channel.openControl("ctl"), me, (isA ? a : b).identity(), keys(), jobId, "c0");
    return new PsiContext(jobId, me, peer, keys().get(peer), channel, log, isA ? keyA : keyB);
  }

  record Results(PsiResult a, PsiResult b) {}

  Results run(SparkSession spark, Dataset<Row> inA, PsiOptions oA, Dataset<Row> inB, PsiOptions oB)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<PsiResult> fa = pool.submit(() -> PsiOperator.run(spark, inA, oA, context("bank_a")));
      Future<PsiResult> fb = pool.submit(() -> PsiOperator.run(spark, inB, oB, context("bank_b")));
      return new Results(fa.get(), fb.get());
    } finally {
      pool.shutdownNow();
    }
  }
}
