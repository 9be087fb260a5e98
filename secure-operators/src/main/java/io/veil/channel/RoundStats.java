package io.veil.channel;

import io.veil.ProtocolException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a sender announces for one round: per data-plane partition, the number of batches and
 * elements and the partition digest; and the round digest over all partitions.
 */
public final class RoundStats implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final HexFormat HEX = HexFormat.of();

  private final long[] batches;
  private final long[] elements;
  private final byte[][] digests;

  public RoundStats(long[] batches, long[] elements, byte[][] digests) {
    this.batches = batches;
    this.elements = elements;
    this.digests = digests;
  }

  /** Builds the stats from per-batch facts {@code (partition, seq, count, batchDigest)}. */
  public static RoundStats fromBatches(int partitions, List<SentBatch> sent) {
    long[] b = new long[partitions];
    long[] e = new long[partitions];
    List<List<byte[]>> perPartition = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      perPartition.add(new ArrayList<>());
    }
    List<SentBatch> sorted = new ArrayList<>(sent);
    sorted.sort((x, y) -> x.partition() != y.partition()
        ? Integer.compare(x.partition(), y.partition()) : Integer.compare(x.seq(), y.seq()));
    for (SentBatch s : sorted) {
      b[s.partition()]++;
      e[s.partition()] += s.count();
      perPartition.get(s.partition()).add(s.digest());
    }
    byte[][] d = new byte[partitions][];
    for (int p = 0; p < partitions; p++) {
      d[p] = RoundDigest.partitionDigest(perPartition.get(p));
    }
    return new RoundStats(b, e, d);
  }

  public int partitions() {
    return batches.length;
  }

  public long batches(int p) {
    return batches[p];
  }

  public long elements(int p) {
    return elements[p];
  }

  public byte[] digest(int p) {
    return digests[p];
  }

  public long totalBatches() {
    long t = 0;
    for (long x : batches) {
      t += x;
    }
    return t;
  }

  public long totalElements() {
    long t = 0;
    for (long x : elements) {
      t += x;
    }
    return t;
  }

  public byte[] roundDigest() {
    return RoundDigest.roundDigest(List.of(digests));
  }

  /** Control-message body. */
  public Map<String, Object> toBody() {
    Map<String, Object> body = new LinkedHashMap<>();
    List<List<Object>> parts = new ArrayList<>();
    for (int p = 0; p < batches.length; p++) {
      parts.add(List.of(p, batches[p], elements[p], HEX.formatHex(digests[p])));
    }
    body.put("partitions", parts);
    body.put("elements", totalElements());
    body.put("digest", HEX.formatHex(roundDigest()));
    return body;
  }

  /** Parses and checks a peer's announcement; anything malformed is a protocol error. */
  public static RoundStats fromBody(Map<String, Object> body, int expectedPartitions, String peer, String step) {
    try {
      @SuppressWarnings("unchecked")
      List<List<Object>> parts = (List<List<Object>>) body.get("partitions");
      if (parts.size() != expectedPartitions) {
        throw new IllegalArgumentException("partition count " + parts.size());
      }
      long[] b = new long[expectedPartitions];
      long[] e = new long[expectedPartitions];
      byte[][] d = new byte[expectedPartitions][];
      for (List<Object> part : parts) {
        int p = ((Number) part.get(0)).intValue();
        b[p] = ((Number) part.get(1)).longValue();
        e[p] = ((Number) part.get(2)).longValue();
        d[p] = HEX.parseHex((String) part.get(3));
        if (b[p] < 0 || e[p] < 0 || d[p].length != 32) {
          throw new IllegalArgumentException("partition " + p);
        }
      }
      RoundStats stats = new RoundStats(b, e, d);
      if (!HEX.formatHex(stats.roundDigest()).equals(body.get("digest"))
          || stats.totalElements() != ((Number) body.get("elements")).longValue()) {
        throw new IllegalArgumentException("digest or total does not add up");
      }
      return stats;
    } catch (RuntimeException e) {
      throw new ProtocolException(peer, step,
          "Cannot accept " + peer + "'s announcement for step '" + step + "': it is malformed ("
              + e.getMessage() + "). The job was aborted; check that both parties run the same Veil "
              + "version and spec.");
    }
  }
}
