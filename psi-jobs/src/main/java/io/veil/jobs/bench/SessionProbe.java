package io.veil.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.blacklist.BlacklistClient;
import io.veil.config.VeilConf;
import io.veil.job.VeilJobs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The querier of {@link BlacklistBench}'s low-latency phase, run as its own JVM against the holder's
 * {@code veil blacklist serve}: opens one {@link BlacklistClient} session (timed), checks single ids
 * one at a time, then the whole query file per request, and prints the timings as one JSON object
 * on standard output.
 *
 * <pre>
 * SessionProbe settings=K=V;K=V;... ids=FILE singles=N rounds=R
 * </pre>
 */
public final class SessionProbe {
  private SessionProbe() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      o.put(a.substring(0, eq), a.substring(eq + 1));
    }
    Map<String, String> settings = new LinkedHashMap<>();
    for (String kv : o.get("settings").split(";")) {
      int eq = kv.indexOf('=');
      settings.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    List<String> ids = Files.readAllLines(Path.of(o.get("ids")), StandardCharsets.UTF_8);
    int singles = Integer.parseInt(o.get("singles"));
    int rounds = Integer.parseInt(o.get("rounds"));
    Map<String, Object> figures = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    try (BlacklistClient c = BlacklistClient.open(VeilJobs.request(VeilConf.of(settings, Map.of(), System.getenv()))
        .build(), new Configuration())) {
      figures.put("open_ms", ms(System.nanoTime() - t0));
      double[] one = new double[singles];
      long listedOne = 0;
      for (int i = 0; i < singles; i++) {
        long s = System.nanoTime();
        BlacklistClient.Answer a = c.lookup(List.of(ids.get(i % ids.size()))).get(0);
        one[i] = ms(System.nanoTime() - s);
        listedOne += Boolean.TRUE.equals(a.listed()) ? 1 : 0;
      }
      double[] batch = new double[rounds];
      long listed = 0;
      for (int r = 0; r < rounds; r++) {
        long s = System.nanoTime();
        List<BlacklistClient.Answer> as = c.lookup(ids);
        batch[r] = ms(System.nanoTime() - s);
        listed = as.stream().filter(a -> Boolean.TRUE.equals(a.listed())).count();
      }
      figures.put("one_id_median_ms", median(one));
      figures.put("one_id_min_ms", Arrays.stream(one).min().orElse(0));
      figures.put("one_id_max_ms", Arrays.stream(one).max().orElse(0));
      figures.put("singles", singles);
      figures.put("singles_listed", listedOne);
      figures.put("batch_ids", ids.size());
      figures.put("batch_median_ms", median(batch));
      figures.put("batch_min_ms", Arrays.stream(batch).min().orElse(0));
      figures.put("batch_max_ms", Arrays.stream(batch).max().orElse(0));
      figures.put("batch_rounds", rounds);
      figures.put("batch_listed", listed);
    }
    figures.put("session_ms", ms(System.nanoTime() - t0));
    System.out.println(new ObjectMapper().writeValueAsString(figures));
    System.exit(0);
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length == 0 ? 0 : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
