package io.veil.vfl.internal;

import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.BatchCodec;
import io.veil.channel.Channel;
import io.veil.channel.SentBatch;
import io.veil.channel.StreamFollower;
import io.veil.channel.StreamWriter;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.Sha256;
import io.veil.crypto.sharing.PairwiseMasking;
import io.veil.crypto.sharing.Ring64;
import io.veil.spark.RunKey;
import io.veil.vfl.model.Loss;
import io.veil.vfl.model.Network;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.api.java.function.Function2;

/**
 * The data plane of federated learning, run inside executor tasks: task {@code p} of every party
 * works on the rows of partition {@code p} (the same keys, in the same order, everywhere) and the
 * tasks of one partition talk to each other batch by batch.
 *
 * <p><b>One mini-batch.</b> Each feature party computes {@code Z_i = bottom_i(X_i)} for the batch,
 * encodes it in fixed point (2^-24), adds its pairwise masks (the masks of every pair of parties
 * cancel in the sum) and sends it, as an Arrow IPC matrix in a signed batch bound to the job, stream,
 * partition and batch number, to the label party. The label party adds every masked share to its own
 * masks and its own {@code Z_label}: the masks cancel and it holds {@code Z = sum of Z_i} for the
 * batch, never a single share. It runs the top model, takes the loss, updates the top model and its
 * own bottom, and sends dL/dZ to each feature party, in fixed point (2^-40) under a one-time pad
 * agreed with that party alone ({@link PairwiseMasking#pairKeystream}). Each feature party removes
 * the pad and back-propagates dL/dZ through its own bottom model.
 *
 * <p>Streams: {@code <sender>.<job>.vfl-z} from every feature party and {@code
 * <label>.<job>.vfl-g-<party>} to every feature party; epoch {@code e}'s partition {@code p} is
 * stream partition {@code e * P + p}, and batches are numbered within it. A batch seen again (a
 * retried task writes the same batch numbers again) is skipped; anything unsigned, bound elsewhere,
 * out of order or malformed aborts the job naming the peer. Every wait is bounded by the peer
 * timeout.
 */
public final class Exchange implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String STEP_Z = "vfl-z";
  public static final String STEP_GRADIENT = "vfl-g";
  /** Fixed-point scale of Z shares: 2^24 (about 6e-8). */
  static final double Z_SCALE = 0x1.0p24;
  /** Fixed-point scale of dL/dZ: 2^40 (about 1e-12; gradients are means over a batch). */
  static final double G_SCALE = 0x1.0p40;
  /** Retries of one task a reader tolerates (Spark's default spark.task.maxFailures is 4). */
  static final int MAX_RETRIES = 8;
  private static final double Z_LIMIT = 0x1.0p38;
  private static final double G_LIMIT = 0x1.0p22;

  private final String jobId;
  private final String me;
  private final String label;
  private final List<String> senders;
  private final TreeMap<String, byte[]> peerAgreementKeys;
  private final TreeMap<String, IdentityPublicKey> identities;
  private final RunKey runKey;
  private final Channel channel;
  private final long timeoutMs;
  private final int dims;
  private final int batchSize;
  private final int partitions;

  /**
   * @param senders the feature parties (every party but the label party), in spec order
   * @param agreementKeys every party's agreement key for the job
   */
  public Exchange(String jobId, String me, String label, List<String> senders, Map<String, byte[]> agreementKeys,
      Map<String, IdentityPublicKey> identities, RunKey runKey, Channel channel, long timeoutMs, int dims,
      int batchSize, int partitions) {
    this.jobId = jobId;
    this.me = me;
    this.label = label;
    this.senders = List.copyOf(senders);
    this.peerAgreementKeys = new TreeMap<>(agreementKeys);
    this.peerAgreementKeys.remove(me);
    this.identities = new TreeMap<>(identities);
    this.runKey = runKey;
    this.channel = channel;
    this.timeoutMs = timeoutMs;
    this.dims = dims;
    this.batchSize = batchSize;
    this.partitions = partitions;
  }

  public static String zStream(String jobId, String sender) {
    return sender + "." + jobId + "." + STEP_Z;
  }

  public static String gradientStream(String jobId, String label, String to) {
    return label + "." + jobId + "." + STEP_GRADIENT + "-" + to;
  }

  /** Every stream of the job, for {@link Channel#createStreams}. */
  public List<String> streams(boolean training) {
    List<String> out = new ArrayList<>();
    for (String s : senders) {
      out.add(zStream(jobId, s));
      if (training) {
        out.add(gradientStream(jobId, label, s));
      }
    }
    return out;
  }

  public boolean isLabel() {
    return me.equals(label);
  }

  /** What one task returns (as bytes): the model copy it trained, figures, and the batches it sent. */
  public static final class TaskResult implements Serializable {
    private static final long serialVersionUID = 1L;
    public int partition;
    public byte[] state;
    public long rows;
    public double lossSum;
    public long bytesSent;
    public long bytesReceived;
    public Map<String, List<SentBatch>> sent = new LinkedHashMap<>();
    /** Scores of the scored rows, in the partition's order (label party). */
    public double[] scores;
    public double[] labels;
    public String[][] keys;
  }

  /** Noise on what a role releases, per row: clip to {@code clip}, add N(0, sigma^2). */
  public record Noise(boolean onZ, double clip, double sigma) implements Serializable {}

  /** A task's connections and counters. */
  private final class Session implements AutoCloseable {
    final PairwiseMasking masking = runKey.pairwiseMasking(me, peerAgreementKeys);
    final IdentityKeys signer = runKey.identity();
    final TaskResult result = new TaskResult();
    final List<AutoCloseable> open = new ArrayList<>();
    /** Batches read again per follower (a retried task's), bounded so that a flood cannot hold a task. */
    final Map<StreamFollower, Long> repeats = new java.util.IdentityHashMap<>();

    StreamWriter writer(String stream, int partition) {
      StreamWriter w = channel.openWriter(stream, partition);
      open.add(w);
      return w;
    }

    StreamFollower follower(String stream, int partition) {
      StreamFollower f = channel.openFollower(stream, partition);
      open.add(f);
      return f;
    }

    void send(StreamWriter w, String stream, String step, int partition, int seq, byte[] payload) {
      byte[] record = BatchCodec.encode(jobId, stream, me, partition, seq, 1, payload, payload.length, signer);
      w.write(record);
      w.flush();
      result.bytesSent += record.length;
      result.sent.computeIfAbsent(step, k -> new ArrayList<>())
          .add(new SentBatch(partition, seq, payload.length, Sha256.hash(record), null));
    }

    /** At the label party: a follower on every feature party's Z shares, stream partition {@code at}. */
    Map<String, StreamFollower> shareFollowers(int at) {
      Map<String, StreamFollower> in = new LinkedHashMap<>();
      for (String f : senders) {
        in.put(f, follower(zStream(jobId, f), at));
      }
      return in;
    }

    /** This party's masks for the Z shares of batch {@code b} ({@code n} rows) of {@code domain}. */
    long[] masks(String domain, int b, int n) {
      return masking.mask(domain, n * dims, (long) b * batchSize * dims);
    }

    /** At a feature party: sends its Z for batch {@code b}, in fixed point, masked. */
    void sendShare(StreamWriter w, String stream, String domain, int at, int b, double[] z, int n) {
      long[] share = masks(domain, b, n);
      Ring64.addInPlace(share, fixed(z, Z_SCALE, Z_LIMIT, "Z"));
      send(w, stream, STEP_Z, at, b, ArrowMatrix.encode("z", share, n, dims));
    }

    /** The one-time pad {@code peer} and the label party put on dL/dZ of batch {@code b} ({@code length} values). */
    long[] gradientPad(String peer, int epoch, int p, int b, int length) {
      return pad(masking.pairKeystream(peer, "vfl-g|" + epoch + "|" + p + "|" + b, length * 8));
    }

    /** The next batch {@code seq} of {@code sender}'s stream, checked, as a matrix of n rows. */
    long[] receive(StreamFollower f, String sender, String stream, String step, int partition, int seq, int n,
        String prefix) {
      while (true) {
        byte[] record = f.next(timeoutMs);
        if (record == null) {
          throw new PeerTimeoutException(sender, "Cannot go on with step '" + step + "': " + sender + " sent nothing "
              + "for batch " + seq + " of stream partition " + partition + " within " + timeoutMs + " ms. Check that "
              + sender + " runs the job with the same spec and has as many free task slots, or raise the peer "
              + "timeout.");
        }
        result.bytesReceived += record.length;
        BatchCodec.Batch b = BatchCodec.decode(record, jobId, stream, sender, identities.get(sender), partition, 1,
            step);
        if (b.seq() < seq) {
          // Sent again by a retried task, which repeats at most the batches before this one, once per retry.
          long again = repeats.merge(f, 1L, Long::sum);
          if (again > MAX_RETRIES * (seq + 1L)) {
            throw new ProtocolException(sender, step, "Cannot accept data from " + sender + " in step '" + step
                + "': " + again + " batches before batch " + seq + " of stream partition " + partition + " arrived "
                + "again, more than " + MAX_RETRIES + " retried tasks would send. The job was aborted; check that only "
                + "the job's parties can write to the channel.");
          }
          continue;
        }
        if (b.seq() > seq) {
          throw new ProtocolException(sender, step, "Cannot accept data from " + sender + " in step '" + step
              + "': batch " + b.seq() + " arrived where batch " + seq + " was expected. The job was aborted; check "
              + "that every party runs the same spec and Veil version.");
        }
        try {
          return ArrowMatrix.decode(b.payload(), prefix, n, dims);
        } catch (IllegalArgumentException e) {
          throw new ProtocolException(sender, step, "Cannot accept data from " + sender + " in step '" + step
              + "': batch " + seq + " " + e.getMessage() + ". The job was aborted and nothing was revealed; check "
              + "that every party runs the same spec and Veil version.");
        }
      }
    }

    @Override
    public void close() {
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception ignored) {
          // closing a client must not hide the task's own failure
        }
      }
    }
  }

  /** One epoch of training over a partition's training rows. */
  public final class Train implements Function2<Integer, Iterator<VflRows.Part>, Iterator<byte[]>> {
    private static final long serialVersionUID = 1L;
    private final int epoch;
    private final byte[] state;
    private final long seed;
    private final Noise noise;

    public Train(int epoch, byte[] state, long seed, Noise noise) {
      this.epoch = epoch;
      this.state = state;
      this.seed = seed;
      this.noise = noise;
    }

    @Override
    public Iterator<byte[]> call(Integer p, Iterator<VflRows.Part> parts) {
      VflRows.Part part = parts.next();
      ModelState m = ModelState.fromBytes(state);
      int at = epoch * partitions + p;
      int[] order = shuffled(part.trainRows, new SplittableRandom(seed * 1_000_003L + epoch * 7919L + p));
      Random random = noise == null ? null : new SecureRandom();
      try (Session s = new Session()) {
        String domain = "vfl-z|" + epoch + "|" + p;
        if (isLabel()) {
          Map<String, StreamFollower> in = s.shareFollowers(at);
          Map<String, StreamWriter> out = new LinkedHashMap<>();
          for (String f : senders) {
            out.put(f, s.writer(gradientStream(jobId, label, f), at));
          }
          for (int b = 0, from = 0; from < part.trainRows; b++, from += batchSize) {
            int n = Math.min(batchSize, part.trainRows - from);
            double[] z = sumOfShares(s, m.bottom, part.trainX, part.features, order, from, n, domain, b, in, at);
            double[] y = gather(part.trainY, 1, order, from, n);
            double[] logits = m.top.forward(z, n);
            s.result.lossSum += Loss.binaryCrossEntropy(logits, y) * n;
            double[] dz = m.top.backward(Loss.bceGradient(logits, y), n);
            m.topOptimizer.step(m.top);
            if (m.bottom != null) {
              m.bottom.backward(dz, n);
              m.bottomOptimizer.step(m.bottom);
            }
            double[] released = dz;
            if (noise != null && !noise.onZ()) {
              released = dz.clone();
              clipAndNoise(released, n, n, noise, random);
            }
            long[] g = fixed(released, G_SCALE, G_LIMIT, "dL/dZ");
            for (String f : senders) {
              long[] pad = s.gradientPad(f, epoch, p, b, g.length);
              Ring64.addInPlace(pad, g);
              String stream = gradientStream(jobId, label, f);
              s.send(out.get(f), stream, STEP_GRADIENT + "-" + f, at, b, ArrowMatrix.encode("g", pad, n, dims));
            }
          }
        } else {
          String zs = zStream(jobId, me);
          String gs = gradientStream(jobId, label, me);
          StreamWriter out = s.writer(zs, at);
          StreamFollower in = s.follower(gs, at);
          for (int b = 0, from = 0; from < part.trainRows; b++, from += batchSize) {
            int n = Math.min(batchSize, part.trainRows - from);
            double[] z = m.bottom.forward(gather(part.trainX, part.features, order, from, n), n);
            if (noise != null && noise.onZ()) {
              clipAndNoise(z, n, 1, noise, random);
            }
            s.sendShare(out, zs, domain, at, b, z, n);
            long[] g = s.receive(in, label, gs, STEP_GRADIENT, at, b, n, "g");
            Ring64.subInPlace(g, s.gradientPad(label, epoch, p, b, g.length));
            m.bottom.backward(unfixed(g, G_SCALE), n);
            m.bottomOptimizer.step(m.bottom);
          }
        }
        s.result.partition = p;
        s.result.rows = part.trainRows;
        s.result.state = m.toBytes();
        return List.of(ModelState.Bytes.of(s.result)).iterator();
      }
    }
  }

  /**
   * One forward pass over a partition's held-out (or, for prediction, all) rows: the label party
   * gets a score for each; nothing travels back.
   */
  public final class Score implements Function2<Integer, Iterator<VflRows.Part>, Iterator<byte[]>> {
    private static final long serialVersionUID = 1L;
    private final int streamEpoch;
    private final byte[] state;

    public Score(int streamEpoch, byte[] state) {
      this.streamEpoch = streamEpoch;
      this.state = state;
    }

    @Override
    public Iterator<byte[]> call(Integer p, Iterator<VflRows.Part> parts) {
      VflRows.Part part = parts.next();
      ModelState m = ModelState.fromBytes(state);
      int at = streamEpoch * partitions + p;
      int[] order = shuffled(part.testRows, null);
      try (Session s = new Session()) {
        String domain = "vfl-zs|" + streamEpoch + "|" + p;
        if (isLabel()) {
          Map<String, StreamFollower> in = s.shareFollowers(at);
          double[] scores = new double[part.testRows];
          for (int b = 0, from = 0; from < part.testRows; b++, from += batchSize) {
            int n = Math.min(batchSize, part.testRows - from);
            double[] z = sumOfShares(s, m.bottom, part.testX, part.features, order, from, n, domain, b, in, at);
            System.arraycopy(Loss.sigmoid(m.top.forward(z, n)), 0, scores, from, n);
          }
          s.result.scores = scores;
          s.result.labels = part.testY;
          s.result.keys = part.testKeys;
        } else {
          String zs = zStream(jobId, me);
          StreamWriter out = s.writer(zs, at);
          for (int b = 0, from = 0; from < part.testRows; b++, from += batchSize) {
            int n = Math.min(batchSize, part.testRows - from);
            double[] z = m.bottom.forward(gather(part.testX, part.features, order, from, n), n);
            s.sendShare(out, zs, domain, at, b, z, n);
          }
        }
        s.result.partition = p;
        s.result.rows = part.testRows;
        return List.of(ModelState.Bytes.of(s.result)).iterator();
      }
    }
  }

  /**
   * At the label party: its own masks, plus its own Z (if it has a bottom model), plus every
   * feature party's masked share of batch {@code b}; the masks cancel and Z is returned.
   */
  private double[] sumOfShares(Session s, Network bottom, double[] x, int features, int[] order, int from, int n,
      String domain, int b, Map<String, StreamFollower> in, int at) {
    long[] acc = s.masks(domain, b, n);
    if (bottom != null) {
      Ring64.addInPlace(acc, fixed(bottom.forward(gather(x, features, order, from, n), n), Z_SCALE, Z_LIMIT, "Z"));
    }
    for (Map.Entry<String, StreamFollower> e : in.entrySet()) {
      Ring64.addInPlace(acc, s.receive(e.getValue(), e.getKey(), zStream(jobId, e.getKey()), STEP_Z, at, b, n, "z"));
    }
    return unfixed(acc, Z_SCALE);
  }

  /** 0..n-1 shuffled by {@code random}, or in order when it is null. */
  static int[] shuffled(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; random != null && i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Rows {@code order[from .. from+n)} of a row-major matrix with {@code width} columns. */
  static double[] gather(double[] m, int width, int[] order, int from, int n) {
    double[] out = new double[n * width];
    for (int i = 0; i < n; i++) {
      System.arraycopy(m, order[from + i] * width, out, i * width, width);
    }
    return out;
  }

  static long[] fixed(double[] v, double scale, double limit, String what) {
    long[] out = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      if (!(Math.abs(v[i]) < limit)) {
        throw new io.veil.VeilException("Cannot encode " + what + ": a value is " + (Double.isFinite(v[i])
            ? "beyond +-" + (long) limit : "not finite") + ", so training diverged. Lower learningRate, standardise "
            + "the features, or add l2 in the spec.");
      }
      out[i] = Math.round(v[i] * scale);
    }
    return out;
  }

  static double[] unfixed(long[] v, double scale) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] / scale;
    }
    return out;
  }

  static long[] pad(byte[] keystream) {
    long[] out = new long[keystream.length / 8];
    ByteBuffer.wrap(keystream).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
    return out;
  }

  /**
   * Clips each row (d values, taken times {@code rowScale}: a batch-mean gradient times the batch
   * size is the row's own gradient) to L2 norm {@code clip} and adds N(0, sigma^2) to each value.
   */
  void clipAndNoise(double[] v, int n, double rowScale, Noise noise, Random random) {
    for (int r = 0; r < n; r++) {
      double norm = 0;
      for (int j = 0; j < dims; j++) {
        double x = v[r * dims + j] * rowScale;
        norm += x * x;
      }
      double f = Math.min(1, noise.clip() / Math.max(Math.sqrt(norm), 1e-300));
      for (int j = 0; j < dims; j++) {
        v[r * dims + j] = (v[r * dims + j] * rowScale * f + noise.sigma() * random.nextGaussian()) / rowScale;
      }
    }
  }
}
