package io.veil.aggregate;

import io.veil.channel.ControlLog;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.PartySecret;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.spark.KeyRef;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** N parties of an aggregation in one JVM (one driver thread each) over an in-memory channel. */
final class Parties {
  final InMemoryChannel channel;
  final String jobId;
  final List<String> ids;
  final Map<String, PartySecret> secrets = new LinkedHashMap<>();
  final Map<String, KeyRef> refs = new LinkedHashMap<>();

  /** Parties with keys from {@code seed} (deterministic keys, hence deterministic DP noise). */
  Parties(Path dir, List<String> ids, long seed) throws Exception {
    String name = "t-" + UUID.randomUUID();
    this.channel = new InMemoryChannel(name);
    this.jobId = "job" + Long.toHexString(seed) + name.substring(2, 10);
    this.ids = ids;
    SecureRandom rnd = SecureRandom.getInstance("SHA1PRNG");
    rnd.setSeed(seed);
    for (String id : ids) {
      PartySecret s = PartySecret.generate(id, rnd);
      Path f = dir.resolve(name + "-" + id + ".key");
      s.write(f);
      secrets.put(id, s);
      refs.put(id, new KeyRef(f.toString()));
    }
  }

  Map<String, IdentityPublicKey> identities() {
    Map<String, IdentityPublicKey> m = new LinkedHashMap<>();
    secrets.forEach((id, s) -> m.put(id, s.identity().publicKey()));
    return m;
  }

  AggregationContext context(String me, List<String> dataParties, String resultParty) {
    Map<String, byte[]> aggKeys = new LinkedHashMap<>();
    for (String d : dataParties) {
      aggKeys.put(d, AggregationKeys.derive(secrets.get(d), jobId).publicKey());
    }
    ControlLog log = new ControlLog(channel.openControl("ctl"), me, secrets.get(me).identity(), identities(), jobId,
        "c0");
    return new AggregationContext(jobId, me, dataParties, resultParty, identities(), aggKeys, channel, log,
        refs.get(me), 30_000);
  }

  /** Runs one task per party concurrently; returns their results, or throws the first failure. */
  <T> List<T> run(Map<String, Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<T>> fs = new ArrayList<>();
      tasks.values().forEach(t -> fs.add(pool.submit(t)));
      List<T> out = new ArrayList<>();
      for (Future<T> f : fs) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
