package io.veil.aggregate.internal;

import io.veil.ProtocolException;
import io.veil.channel.BatchCodec;
import io.veil.channel.BatchCodec.Batch;
import io.veil.channel.Channel;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundDigest;
import io.veil.channel.SentBatch;
import io.veil.channel.StreamWriter;
import io.veil.crypto.IdentityKeys;
import io.veil.spark.KeyRef;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;

/** Executor side of {@link SecureSum}: serializable functions holding no key material. */
final class SumTasks {
  private SumTasks() {}

  /** The layout of one vector: its length, block length and data-plane partitions. */
  record Layout(long length, int blockLength, int partitions) implements java.io.Serializable {
    int blocks() {
      return (int) ((length + blockLength - 1) / blockLength);
    }

    int blockSize(int block) {
      return (int) Math.min(blockLength, length - (long) block * blockLength);
    }

    long offset(int block) {
      return (long) block * blockLength;
    }

    /** Blocks in data-plane partition {@code p}: {@code p, p + partitions, ...}. */
    int blocksIn(int p) {
      int n = blocks();
      return n <= p ? 0 : (n - 1 - p) / partitions + 1;
    }

    /** Elements in data-plane partition {@code p}: the sizes of its blocks. */
    long elementsIn(int p) {
      long n = 0;
      for (int i = 0; i < blocksIn(p); i++) {
        n += blockSize(p + i * partitions);
      }
      return n;
    }

    void check(VectorBlock b, int partition) {
      if (b.index() % partitions != partition || b.index() >= blocks() || b.values().length != blockSize(b.index())) {
        throw new IllegalStateException("block " + b.index() + " of length " + b.values().length
            + " does not belong in partition " + partition + " of " + this);
      }
    }
  }

  /** Masks this party's blocks of one data-plane partition and writes them as signed batches. */
  static final class MaskAndSend implements Function2<Integer, Iterator<VectorBlock>, Iterator<SentBatch>> {
    private static final long serialVersionUID = 1L;
    private final Channel channel;
    private final String jobId;
    private final String stream;
    private final String me;
    private final KeyRef key;
    private final Masker masker;
    private final String domain;
    private final Layout layout;

    MaskAndSend(Channel channel, String jobId, String stream, String me, KeyRef key, Masker masker, String domain,
        Layout layout) {
      this.channel = channel;
      this.jobId = jobId;
      this.stream = stream;
      this.me = me;
      this.key = key;
      this.masker = masker;
      this.domain = domain;
      this.layout = layout;
    }

    @Override
    public Iterator<SentBatch> call(Integer partition, Iterator<VectorBlock> blocks) {
      IdentityKeys signer = key.resolve().identity();
      List<SentBatch> out = new ArrayList<>();
      try (StreamWriter writer = channel.openWriter(stream, partition)) {
        while (blocks.hasNext()) {
          VectorBlock b = blocks.next();
          layout.check(b, partition);
          long[] masked = masker.mask(domain, b.values(), layout.offset(b.index()));
          int seq = b.index() / layout.partitions();
          byte[] record = BatchCodec.encode(jobId, stream, me, partition, seq, LongCodec.BYTES,
              LongCodec.encode(masked), masked.length, signer);
          writer.write(record);
          out.add(new SentBatch(partition, seq, masked.length, RoundDigest.batchDigest(record), null));
        }
        writer.flush();
      }
      return out.iterator();
    }
  }

  /**
   * At the result party: for each block of one data-plane partition, adds every peer's masked
   * block (read and verified from its stream) and its own masks, to its own block when it
   * contributes one (to zeros otherwise). The masks cancel: the output is the plain sum.
   */
  static final class ReadAndSum implements Function2<Integer, Iterator<VectorBlock>, Iterator<VectorBlock>> {
    private static final long serialVersionUID = 1L;
    private final List<PeerStream> peers;
    private final Masker ownMasker;
    private final boolean ownVector; // false: the result party contributes no vector, only its masks
    private final String domain;
    private final Layout layout;

    ReadAndSum(List<PeerStream> peers, Masker ownMasker, boolean ownVector, String domain, Layout layout) {
      this.peers = peers;
      this.ownMasker = ownMasker;
      this.ownVector = ownVector;
      this.domain = domain;
      this.layout = layout;
    }

    @Override
    public Iterator<VectorBlock> call(Integer partition, Iterator<VectorBlock> own) {
      int expected = layout.blocksIn(partition);
      List<List<Batch>> received = new ArrayList<>();
      for (PeerStream peer : peers) {
        List<Batch> batches = peer.read(partition);
        if (batches.size() != expected) {
          throw shape(peer, partition, batches.size() + " blocks where " + expected + " were expected");
        }
        received.add(batches);
      }
      List<VectorBlock> out = new ArrayList<>(expected);
      for (int i = 0; i < expected; i++) {
        int index = partition + i * layout.partitions();
        long[] sum;
        KeyTexts keys = null;
        if (ownVector) {
          if (!own.hasNext()) {
            throw new IllegalStateException("own block " + index + " is missing");
          }
          VectorBlock mine = own.next();
          layout.check(mine, partition);
          if (mine.index() != index) {
            throw new IllegalStateException("own block " + mine.index() + " where " + index + " was expected");
          }
          sum = ownMasker.mask(domain, mine.values(), layout.offset(index));
          keys = mine.keys();
        } else {
          sum = ownMasker.mask(domain, new long[layout.blockSize(index)], layout.offset(index));
        }
        for (int k = 0; k < peers.size(); k++) {
          Batch b = received.get(k).get(i);
          if (b.count() != sum.length) {
            throw shape(peers.get(k), partition, "block " + index + " has " + b.count() + " elements where "
                + sum.length + " were expected");
          }
          LongCodec.addInto(sum, b.payload());
        }
        out.add(new VectorBlock(index, sum, keys));
      }
      return out.iterator();
    }

    private static ProtocolException shape(PeerStream peer, int partition, String what) {
      return new ProtocolException(peer.sender(), peer.step(), "Cannot add " + peer.sender() + "'s masked vector in "
          + "step '" + peer.step() + "': partition " + partition + " has " + what + ". The job was aborted and "
          + "nothing was revealed; check that every party runs the same spec and Veil version.");
    }
  }

  /** Cuts a vector held in a broadcast into the blocks of each data-plane partition. */
  static final class Slice implements Function2<Integer, Iterator<Integer>, Iterator<VectorBlock>> {
    private static final long serialVersionUID = 1L;
    private final org.apache.spark.broadcast.Broadcast<long[]> vector;
    private final Layout layout;

    Slice(org.apache.spark.broadcast.Broadcast<long[]> vector, Layout layout) {
      this.vector = vector;
      this.layout = layout;
    }

    @Override
    public Iterator<VectorBlock> call(Integer partition, Iterator<Integer> ignored) {
      long[] v = vector.value();
      List<VectorBlock> out = new ArrayList<>();
      for (int i = 0; i < layout.blocksIn(partition); i++) {
        int index = partition + i * layout.partitions();
        long[] block = new long[layout.blockSize(index)];
        System.arraycopy(v, (int) layout.offset(index), block, 0, block.length);
        out.add(new VectorBlock(index, block, null));
      }
      return out.iterator();
    }
  }
}
