package io.veil.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.ProtocolException;
import io.veil.channel.BatchCodec.Batch;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.IdentityKeys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A hostile sender floods its stream with validly signed batches, or writes a huge record: the
 * reader reads no further than what the sender announced and fails with a protocol error naming
 * the sender, the step and the stream; an honest stream followed by a flood still reads.
 */
class PeerStreamBoundsTest {
  private static final IdentityKeys BANK_B = IdentityKeys.fromSeed(seed(7));
  private static final String JOB = "job1";
  private static final String STREAM = "bank_b.job1.blind-1";
  private static final String STEP = "blind-1";
  private static final int ELEMENT_BYTES = 32;
  private static final int BATCH_ROWS = 4;

  private InMemoryChannel memory;
  private CountingChannel channel;

  @BeforeEach
  void streams() {
    memory = new InMemoryChannel("bounds-" + UUID.randomUUID());
    memory.createStreams(List.of(STREAM), 1);
    channel = new CountingChannel(memory);
  }

  private static byte[] seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return s;
  }

  /** A batch of {@code count} elements, signed by bank_b, bound to partition 0 of the stream. */
  private static byte[] batch(int seq, int count) {
    byte[] payload = new byte[count * ELEMENT_BYTES];
    new Random(seq).nextBytes(payload);
    return BatchCodec.encode(JOB, STREAM, "bank_b", 0, seq, ELEMENT_BYTES, payload, count, BANK_B);
  }

  /** What bank_b announces for partition 0 when it sent {@code records}. */
  private static RoundStats announce(List<byte[]> records) {
    List<SentBatch> sent = new ArrayList<>();
    for (byte[] r : records) {
      Batch b = BatchCodec.decode(r, JOB, STREAM, "bank_b", BANK_B.publicKey(), 0, ELEMENT_BYTES, STEP);
      sent.add(new SentBatch(0, b.seq(), b.count(), RoundDigest.batchDigest(r), null));
    }
    return RoundStats.fromBatches(1, sent);
  }

  private PeerStream reader(RoundStats announced) {
    return new PeerStream(channel, JOB, STREAM, "bank_b", BANK_B.publicKey(), STEP, announced, ELEMENT_BYTES,
        BATCH_ROWS);
  }

  private void write(byte[] record) {
    memory.inject(STREAM, 0, record);
  }

  private static void assertNamesPeerStepAndStream(Throwable e) {
    assertThat(e).isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("Cannot accept data from bank_b in step 'blind-1': ")
        .hasMessageContaining("stream '" + STREAM + "'");
    assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b");
    assertThat(((ProtocolException) e).step()).isEqualTo(STEP);
  }

  @Test
  void aFloodBeyondTheAnnouncedCountFailsAtTheFirstBatchBeyondIt() {
    List<byte[]> honest = List.of(batch(0, 4), batch(1, 4), batch(2, 3));
    write(honest.get(0));
    write(honest.get(1));
    for (int seq = 3; seq < 10_003; seq++) {
      write(batch(seq, 4));
    }
    write(honest.get(2));
    PeerStream in = reader(announce(honest));

    assertThatThrownBy(() -> in.read(0))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("a batch with sequence number 3, beyond the 3 batches bank_b announced");
    assertThat(channel.pulled).as("records read of the 10,003 in the partition").isEqualTo(3);
  }

  @Test
  void anHonestStreamFollowedByAFloodIsReadUpToTheAnnouncedBatchesOnly() {
    List<byte[]> honest = List.of(batch(0, 4), batch(1, 1));
    honest.forEach(this::write);
    for (int seq = 2; seq < 5_002; seq++) {
      write(batch(seq, 4));
    }

    List<Batch> got = reader(announce(honest)).read(0);

    assertThat(got).extracting(Batch::seq).containsExactly(0, 1);
    assertThat(channel.pulled).isEqualTo(2);
  }

  @Test
  void endlessCopiesOfAnAnnouncedBatchAreBounded() {
    List<byte[]> honest = List.of(batch(0, 4), batch(1, 4));
    for (int i = 0; i < 10_000; i++) {
      write(honest.get(0));
    }
    write(honest.get(1));
    PeerStream in = reader(announce(honest));

    assertThatThrownBy(() -> in.read(0))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("copies");
    assertThat(channel.pulled).as("the batch, its allowed copies and the one copy too many")
        .isEqualTo(1 + PeerStream.MAX_COPIES * 2 + 1);
  }

  @Test
  void retriedWritesAreStillRead() {
    List<byte[]> honest = List.of(batch(0, 4), batch(1, 4), batch(2, 2));
    // A failed task attempt wrote the first two batches, its retry all three.
    write(honest.get(0));
    write(honest.get(1));
    honest.forEach(this::write);

    assertThat(reader(announce(honest)).read(0)).extracting(Batch::seq).containsExactly(0, 1, 2);
  }

  @Test
  void moreElementsThanAnnouncedFailAtTheBatchThatExceedsThem() {
    RoundStats announced = announce(List.of(batch(0, 2), batch(1, 2)));
    write(batch(0, 3)); // validly signed, but not what was announced
    write(batch(1, 2));
    PeerStream in = reader(announced);

    assertThatThrownBy(() -> in.read(0))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("more than the 4 elements bank_b announced (5 in the 2 batches read so far)");
    assertThat(channel.pulled).isEqualTo(2);
  }

  @Test
  void anOversizedRecordIsRefusedBeforeItIsVerified() {
    List<byte[]> honest = List.of(batch(0, 4));
    byte[] huge = new byte[16 * 1024 * 1024]; // unsigned: verifying it would fail, but it is never verified
    write(huge);
    write(honest.get(0));
    PeerStream in = reader(announce(honest));

    assertThatThrownBy(() -> in.read(0))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("a record of 16777216 bytes")
        .hasMessageContaining("at most 4 elements of 32 bytes")
        .hasMessageNotContaining("signed");
    assertThat(channel.pulled).isEqualTo(1);
  }

  @Test
  void aSignedBatchLargerThanTheSpecAllowsIsRefusedBeforeItIsVerified() {
    List<byte[]> honest = List.of(batch(0, 4));
    write(batch(0, 1000));
    PeerStream in = reader(announce(honest));

    assertThatThrownBy(() -> in.read(0))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("a record of " + batch(0, 1000).length + " bytes");
  }

  @Test
  void aRecordLargerThanTheChannelAcceptsIsRefused() {
    channel.maxRecordBytes = 200;
    List<byte[]> honest = List.of(batch(0, 4));
    write(honest.get(0));
    PeerStream in = reader(announce(honest));

    assertThatThrownBy(() -> in.read(0))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("larger than the 200 bytes the channel accepts");
  }

  @Test
  void anAnnouncementNoHonestSenderCouldMakeIsRefusedBeforeReading() {
    RoundStats impossible = new RoundStats(new long[] {2}, new long[] {9}, new byte[][] {new byte[32]});
    assertThatThrownBy(() -> reader(impossible))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("9 elements in 2 batches of at most 4");
    RoundStats empty = new RoundStats(new long[] {3}, new long[] {2}, new byte[][] {new byte[32]});
    assertThatThrownBy(() -> reader(empty))
        .satisfies(PeerStreamBoundsTest::assertNamesPeerStepAndStream)
        .hasMessageContaining("2 elements in 3 batches");
    assertThat(channel.pulled).isZero();
  }

  /** Counts the records readers take from an in-memory channel; its largest record can be lowered. */
  private static final class CountingChannel implements Channel {
    private static final long serialVersionUID = 1L;
    private final transient InMemoryChannel delegate;
    private int pulled;
    private int maxRecordBytes = Integer.MAX_VALUE;

    CountingChannel(InMemoryChannel delegate) {
      this.delegate = delegate;
    }

    @Override
    public ControlTransport openControl(String name) {
      return delegate.openControl(name);
    }

    @Override
    public void createStreams(Collection<String> streams, int partitions) {
      delegate.createStreams(streams, partitions);
    }

    @Override
    public StreamWriter openWriter(String stream, int partition) {
      return delegate.openWriter(stream, partition);
    }

    @Override
    public StreamFollower openFollower(String stream, int partition) {
      return delegate.openFollower(stream, partition);
    }

    @Override
    public StreamReader openReader(String stream, int partition) {
      StreamReader r = delegate.openReader(stream, partition);
      return new StreamReader() {
        @Override
        public Iterator<byte[]> records() {
          Iterator<byte[]> it = r.records();
          return new Iterator<>() {
            @Override
            public boolean hasNext() {
              return it.hasNext();
            }

            @Override
            public byte[] next() {
              pulled++;
              return it.next();
            }
          };
        }

        @Override
        public void close() {
          r.close();
        }
      };
    }

    @Override
    public int maxRecordBytes() {
      return maxRecordBytes;
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }
}
