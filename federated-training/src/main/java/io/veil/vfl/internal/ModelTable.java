package io.veil.vfl.internal;

import io.veil.InvalidInputException;
import io.veil.crypto.Sha256;
import io.veil.vfl.model.Network;
import io.veil.vfl.model.Tensor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One party's part of a trained federated model as a table, kept in the party's own storage (the
 * job's output): one row per weight matrix or bias of its bottom network and, at the label party,
 * of its top network, each row naming the training job, the party and the feature columns in order.
 * Its SHA-256 ({@link #sha256}, over a canonical encoding independent of row order and file format)
 * is recorded in the training job's receipt, and a prediction spec pins it.
 *
 * @param job the training job's id
 * @param party the party the part belongs to
 * @param features the feature columns, in the order the bottom network reads them
 * @param bottom the bottom network (null at a label party without features)
 * @param top the top network (label party only, else null)
 */
public record ModelTable(String job, String party, List<String> features, Network bottom, Network top) {
  public static final String BOTTOM = "bottom";
  public static final String TOP = "top";

  /** The table's schema. */
  public static StructType schema() {
    return new StructType()
        .add("job", DataTypes.StringType, false)
        .add("party", DataTypes.StringType, false)
        .add("part", DataTypes.StringType, false)
        .add("tensor", DataTypes.StringType, false)
        .add("rows", DataTypes.IntegerType, false)
        .add("cols", DataTypes.IntegerType, false)
        .add("values", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
        .add("features", DataTypes.createArrayType(DataTypes.StringType, false), false);
  }

  private record Entry(String part, Tensor tensor) {}

  private List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    if (bottom != null) {
      bottom.parameters().forEach(t -> out.add(new Entry(BOTTOM, t)));
    }
    if (top != null) {
      top.parameters().forEach(t -> out.add(new Entry(TOP, t)));
    }
    out.sort(Comparator.comparing((Entry e) -> e.part()).thenComparing(e -> e.tensor().name()));
    return out;
  }

  public Dataset<Row> toDataset(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    for (Entry e : entries()) {
      Tensor t = e.tensor();
      rows.add(RowFactory.create(job, party, e.part(), t.name(), t.rows(), t.cols(), box(t.values()),
          features.toArray(new String[0])));
    }
    return spark.createDataFrame(rows, schema()).coalesce(1);
  }

  /** SHA-256 (hex) of the part: job, party, features, then each tensor by (part, name) with its exact values. */
  public String sha256() {
    MessageDigest d = Sha256.newDigest();
    text(d, "veil-vfl-model/v1");
    text(d, job);
    text(d, party);
    text(d, String.valueOf(features.size()));
    features.forEach(f -> text(d, f));
    for (Entry e : entries()) {
      Tensor t = e.tensor();
      text(d, e.part() + "|" + t.name() + "|" + t.rows() + "|" + t.cols());
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * t.values().length);
      for (double v : t.values()) {
        b.putLong(Double.doubleToLongBits(v));
      }
      d.update(b.array());
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static void text(MessageDigest d, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    d.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
    d.update(b);
  }

  /**
   * Reads a model part written by a training job.
   *
   * @param where where it was read from, for errors
   * @throws InvalidInputException naming what is wrong
   */
  public static ModelTable read(Dataset<Row> table, String where) {
    for (String c : schema().fieldNames()) {
      if (!List.of(table.schema().fieldNames()).contains(c)) {
        throw new InvalidInputException("Cannot read the model part at " + where + ": it has no column '" + c
            + "', so it is not a model a vfl-train job wrote. Point the spec at that job's output.");
      }
    }
    List<Row> rows = table.select("job", "party", "part", "tensor", "rows", "cols", "values", "features")
        .collectAsList();
    if (rows.isEmpty()) {
      throw new InvalidInputException("Cannot read the model part at " + where + ": it is empty.");
    }
    String job = rows.get(0).getString(0);
    String party = rows.get(0).getString(1);
    List<String> features = rows.get(0).<String>getList(7);
    List<Tensor> bottom = new ArrayList<>();
    List<Tensor> top = new ArrayList<>();
    for (Row r : rows) {
      if (!job.equals(r.getString(0)) || !party.equals(r.getString(1))
          || !features.equals(r.<String>getList(7))) {
        throw new InvalidInputException("Cannot read the model part at " + where + ": its rows name different "
            + "jobs, parties or feature lists. Point the spec at one training job's output.");
      }
      List<Double> values = r.<Double>getList(6);
      Tensor t = new Tensor(r.getString(3), r.getInt(4), r.getInt(5),
          values.stream().mapToDouble(Double::doubleValue).toArray());
      switch (r.getString(2)) {
        case BOTTOM -> bottom.add(t);
        case TOP -> top.add(t);
        default -> throw new InvalidInputException("Cannot read the model part at " + where + ": unknown part '"
            + r.getString(2) + "'.");
      }
    }
    try {
      bottom.sort(LAYER_ORDER);
      top.sort(LAYER_ORDER);
      return new ModelTable(job, party, List.copyOf(features), bottom.isEmpty() ? null : Network.fromTensors(bottom),
          top.isEmpty() ? null : Network.fromTensors(top));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("Cannot read the model part at " + where + ": " + e.getMessage() + ".");
    }
  }

  /** {@code layer0.weight, layer0.bias, layer1.weight, ...}: the order {@link Network#fromTensors} reads. */
  private static final Comparator<Tensor> LAYER_ORDER = Comparator.comparingLong(t -> {
    String[] p = t.name().split("\\.", 2);
    long layer = p[0].startsWith("layer") && p[0].substring(5).matches("\\d{1,6}")
        ? Long.parseLong(p[0].substring(5)) : Integer.MAX_VALUE;
    return layer * 2 + (p.length > 1 && p[1].equals("weight") ? 0 : 1);
  });

  private static Object box(double[] values) {
    Double[] out = new Double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
