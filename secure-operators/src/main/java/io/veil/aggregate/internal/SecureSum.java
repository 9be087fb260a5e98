package io.veil.aggregate.internal;

import io.veil.ProtocolException;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundStats;
import io.veil.channel.RoundSummary;
import io.veil.channel.SentBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * One secure summation round (driver side): every data party adds its pairwise masks to its
 * vector (Bonawitz et al. 2017, without dropout recovery); every data party other than the result
 * party sends its masked vector to the result party, in signed batches, once; the result party adds
 * them to its own masked vector, and the masks cancel. Each masked vector is uniformly random to
 * anyone missing another masking party's masks, and the result party holds masks too, even when it
 * contributes no vector ({@link AggregationContext#maskingParties()}): the vectors that travel (all
 * the broker holds) add up to the sum minus the result party's masks, which reveals nothing. The
 * result party sees only the sum.
 *
 * <p>Layout: position {@code i} of a vector of length {@code L} is in block {@code i / blockLength};
 * block {@code b} travels in data-plane partition {@code b mod P} as batch {@code b / P}. A vector's
 * blocks are given as an RDD with {@code P} partitions, partition {@code p} holding its blocks in
 * increasing order. Masks are per job and per step (the {@code domain}): a position is never masked
 * twice with the same mask.
 */
public final class SecureSum {
  private final JavaSparkContext jsc;
  private final AggregationContext c;
  private final int partitions;
  private final int blockLength;
  private final List<RoundSummary> rounds = new ArrayList<>();

  public SecureSum(SparkSession spark, AggregationContext c, int partitions, int blockLength) {
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.c = c;
    this.partitions = partitions;
    this.blockLength = blockLength;
  }

  /** Stream carrying {@code from}'s masked vector of {@code step}; its writer's id comes first. */
  public static String stream(String jobId, String from, String step) {
    return from + "." + jobId + "." + step;
  }

  /** The rounds seen so far, for the receipt. */
  public List<RoundSummary> rounds() {
    return List.copyOf(rounds);
  }

  /** A vector held on the driver, cut into this layout's blocks. */
  public JavaRDD<VectorBlock> blocks(long[] vector) {
    SumTasks.Layout layout = layout(vector.length);
    return slots(layout).mapPartitionsWithIndex(new SumTasks.Slice(jsc.broadcast(vector), layout), true);
  }

  /**
   * At a data party other than the result party: masks and sends {@code blocks} (a vector of
   * {@code length}), then announces the round.
   */
  public void send(String step, JavaRDD<VectorBlock> blocks, long length) {
    c.op().beginStep(step, "masking and sending a vector of " + length + " to " + c.resultParty());
    SumTasks.Layout layout = layout(length);
    String stream = stream(c.jobId(), c.me(), step);
    c.channel().createStreams(List.of(stream), layout.partitions());
    List<SentBatch> sent = blocks.mapPartitionsWithIndex(new SumTasks.MaskAndSend(c.channel(), c.jobId(), stream,
        c.me(), c.key(), masker(), step, layout), true).collect();
    RoundStats stats = RoundStats.fromBatches(layout.partitions(), sent);
    if (stats.totalElements() != length) {
      throw new IllegalStateException("sent " + stats.totalElements() + " elements of a vector of " + length);
    }
    c.op().announceRound(step, stats);
    rounds.add(RoundSummary.of(step, c.me(), c.resultParty(), stats));
    c.op().progress("step " + step + " sent " + stats.totalElements() + " masked elements in "
        + stats.totalBatches() + " batches to " + c.resultParty());
  }

  /**
   * At the result party: waits for every other data party's masked vector of {@code step}, and
   * returns the sum of all data parties' vectors, block by block. {@code own} is the result party's
   * own (unmasked) vector, or null when it contributes none.
   */
  public JavaRDD<VectorBlock> receive(String step, JavaRDD<VectorBlock> own, long length) {
    c.op().beginStep(step, "adding the masked vectors of " + String.join(", ", c.dataParties()));
    SumTasks.Layout layout = layout(length);
    List<PeerStream> peers = new ArrayList<>();
    for (String d : c.dataParties()) {
      if (d.equals(c.me())) {
        continue;
      }
      RoundStats stats = c.op().awaitRound(d, step, layout.partitions(), "its masked vector (step " + step + ")");
      if (stats.totalElements() != length) {
        throw new ProtocolException(d, step, "Cannot add " + d + "'s masked vector in step '" + step + "': it has "
            + stats.totalElements() + " elements but the spec gives " + length + ". The job was aborted and "
            + "nothing was revealed; check that every party runs the same spec.");
      }
      for (int p = 0; p < layout.partitions(); p++) {
        if (stats.batches(p) != layout.blocksIn(p) || stats.elements(p) != layout.elementsIn(p)) {
          throw new ProtocolException(d, step, "Cannot add " + d + "'s masked vector in step '" + step + "': it "
              + "announced " + stats.batches(p) + " blocks / " + stats.elements(p) + " elements in partition " + p
              + " where the spec gives " + layout.blocksIn(p) + " / " + layout.elementsIn(p) + ". The job was "
              + "aborted and nothing was revealed; check that every party runs the same spec and Veil version.");
        }
      }
      rounds.add(RoundSummary.of(step, d, c.me(), stats));
      c.op().progress("step " + step + " announced by " + d + ": " + stats.totalElements() + " masked elements");
      peers.add(new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), d, step), d, c.identities().get(d), step,
          stats, LongCodec.BYTES, blockLength));
    }
    JavaRDD<VectorBlock> base = own != null ? own
        : slots(layout).mapPartitions(ignored -> java.util.Collections.<VectorBlock>emptyIterator(), true);
    // The result party always adds its own masks (to a zero vector when it contributes none).
    return base.mapPartitionsWithIndex(new SumTasks.ReadAndSum(peers, masker(), own != null, step, layout), true);
  }

  /** Collects a summed vector to the driver. */
  public static long[] collect(JavaRDD<VectorBlock> sums, long length, int blockLength) {
    long[] out = new long[Math.toIntExact(length)];
    for (VectorBlock b : sums.collect()) {
      System.arraycopy(b.values(), 0, out, b.index() * blockLength, b.values().length);
    }
    return out;
  }

  /** An RDD with one (empty-valued) element per data-plane partition, for tasks that read the channel. */
  private JavaRDD<Integer> slots(SumTasks.Layout layout) {
    return jsc.parallelize(IntStream.range(0, layout.partitions()).boxed().toList(), layout.partitions());
  }

  /**
   * Data-plane partitions of a vector of {@code length}: the configured number, but no more than it
   * has blocks (a short vector is not spread over empty partitions, each a task and a stream
   * partition). Every party computes the same from the spec.
   */
  public int partitionsFor(long length) {
    long blocks = (length + blockLength - 1) / blockLength;
    return (int) Math.max(1, Math.min(partitions, blocks));
  }

  public int blockLength() {
    return blockLength;
  }

  private SumTasks.Layout layout(long length) {
    return new SumTasks.Layout(length, blockLength, partitionsFor(length));
  }

  private Masker masker() {
    return new Masker(c.runKey(), c.me(), c.aggregationKeys());
  }
}
