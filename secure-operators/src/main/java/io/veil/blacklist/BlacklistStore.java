package io.veil.blacklist;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.blacklist.internal.ListCodec;
import io.veil.blacklist.internal.ListIndex;
import io.veil.blacklist.internal.StoreTasks;
import io.veil.psi.KeyNormalization;
import io.veil.spark.KeyRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * The holder's encoded list: every listed id's record ({@linkplain ListCodec tag and sealed reason})
 * under the holder's long-lived list key, computed by a Spark job once and then refreshed
 * incrementally: a refresh encodes only the ids added (or whose reason changed) since the last
 * version and marks the ids removed, so that a querier's copy is brought up to date with a delta.
 *
 * <h2>Layout (in the holder's own storage)</h2>
 * <ul>
 *   <li>{@code manifest.json}: list, key version, version, records, digest, and the history of
 *       versions (number, records, digest) a querier's copy may be at;
 *   <li>{@code entries-v<N>}: Parquet, one row per id ever encoded under this key: {@code key}
 *       (normalised id), {@code reason}, {@code tag}, {@code payload}, {@code added} and {@code
 *       removed} (versions; removed is NULL while listed);
 *   <li>{@code index-v<N>}: a {@link ListIndex} of the listed records (what a querier's copy holds).
 * </ul>
 *
 * <p>The list key is {@code HKDF(party secret, "blacklist/<list>", "oprf-key/v<keyVersion>")}:
 * nothing to store, and a new key version re-encodes the whole list (every copy is then replaced).
 */
public final class BlacklistStore {
  /** The longest reason code, in UTF-8 bytes. */
  public static final int MAX_REASON_BYTES = ListCodec.MAX_REASON_BYTES;

  static final String FORMAT = "veil-blacklist-store/v1";
  private static final String MANIFEST = "manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BlacklistStore() {}

  /** One version of the list a copy can be at. */
  public record Version(long version, long records, String digest) {}

  /**
   * The store's manifest.
   *
   * @param list the list's name
   * @param keyVersion the list key's version
   * @param payloadBytes bytes of a record's sealed reason (0: no reasons)
   * @param current the current version
   * @param history every version under this key, oldest first (current last)
   * @param updated when the current version was written
   */
  public record Manifest(String format, String list, int keyVersion, int payloadBytes, Version current,
      List<Version> history, String updated) {
    /** The directory of the current version's entries. */
    Path entries(Path store) {
      return new Path(store, "entries-v" + current.version());
    }

    /** The directory of the current version's index. */
    public Path index(Path store) {
      return new Path(store, "index-v" + current.version());
    }
  }

  /**
   * What a refresh did.
   *
   * @param manifest the store after it
   * @param added ids encoded in this refresh (new, or with a changed reason)
   * @param removed ids no longer listed
   * @param nullKeyRows list rows dropped for a NULL key
   * @param fullEncode whether the whole list was encoded (first run, or a new list key)
   */
  public record Refresh(Manifest manifest, long added, long removed, long nullKeyRows, boolean fullEncode) {}

  /** The store's manifest, or null when {@code store} holds no encoded list yet. */
  public static Manifest read(Configuration conf, String store) {
    Path file = new Path(store, MANIFEST);
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) {
        return null;
      }
      try (InputStream in = fs.open(file)) {
        Manifest m = JSON.readValue(in, Manifest.class);
        if (!FORMAT.equals(m.format())) {
          throw new InvalidInputException("Cannot read the encoded list at " + store + ": its manifest has format '"
              + m.format() + "', not '" + FORMAT + "'. Point the spec's blacklist.store at a Veil list store.");
        }
        return m;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the encoded list's manifest " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Encodes the list in {@code list} into {@code store}, or brings the store up to date with it: only
   * ids added or with a changed reason since the store's version are encoded. Nothing is written when
   * the list did not change.
   *
   * @param list the holder's list (key columns, and {@code reasonColumn} when not null)
   * @param key the holder's party key file
   * @throws InvalidInputException for an id listed twice with different reasons or a reason longer
   *     than {@link #MAX_REASON_BYTES} bytes (nothing is written)
   */
  public static Refresh refresh(SparkSession spark, Dataset<Row> list, List<String> keyColumns, String reasonColumn,
      KeyNormalization normalization, String store, String listName, int keyVersion, KeyRef key) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Manifest old = read(conf, store);
    boolean full = old == null || !old.list().equals(listName) || old.keyVersion() != keyVersion
        || old.payloadBytes() != payloadBytes(reasonColumn);
    long version = old == null ? 1 : old.current().version() + 1;

    UserDefinedFunction encode = org.apache.spark.sql.functions.udf(
        (UDF1<Row, byte[]>) normalization::encode, DataTypes.BinaryType);
    Column[] keyCols = keyColumns.stream().map(k -> col(k).cast("string")).toArray(Column[]::new);
    Column reason = reasonColumn == null ? lit(null).cast("string") : col(reasonColumn).cast("string");
    Dataset<Row> rows = list.select(encode.apply(struct(keyCols)).as("key"), reason.as("reason"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Row c = rows.agg(count(lit(1)), count(when(col("key").isNull(), 1)),
          count(when(org.apache.spark.sql.functions.length(col("reason").cast("binary")).gt(MAX_REASON_BYTES), 1)))
          .first();
      long nullKeys = c.getLong(1);
      if (c.getLong(2) > 0) {
        throw new InvalidInputException("Cannot encode list '" + listName + "': " + c.getLong(2) + " rows have a "
            + "reason in column '" + reasonColumn + "' longer than " + MAX_REASON_BYTES + " UTF-8 bytes. Shorten "
            + "the reason codes (they are codes, not descriptions). Nothing was written.");
      }
      Dataset<Row> current = rows.where(col("key").isNotNull()).distinct();
      long conflicting = current.groupBy("key").count().where(col("count").gt(1)).count();
      if (conflicting > 0) {
        throw new InvalidInputException("Cannot encode list '" + listName + "': " + conflicting + " ids are listed "
            + "more than once with different reasons in column '" + reasonColumn + "'. Keep one reason per id "
            + "(e.g. the most recent). Nothing was written.");
      }
      FileSystem fs = new Path(store).getFileSystem(conf);
      Dataset<Row> entries = full
          ? spark.createDataFrame(List.of(), StoreTasks.ENTRY_SCHEMA)
          : spark.read().schema(StoreTasks.ENTRY_SCHEMA).parquet(old.entries(new Path(store)).toString());
      Dataset<Row> live = entries.where(col("removed").isNull());
      // Ids to encode: not listed yet, or listed with another reason.
      Dataset<Row> liveKeys = live.select(col("key").as("live_key"), col("reason").as("live_reason"));
      Dataset<Row> toEncode = current.join(liveKeys, current.col("key").equalTo(liveKeys.col("live_key"))
          .and(current.col("reason").eqNullSafe(liveKeys.col("live_reason"))), "left_anti");
      // Live entries to retire: the id is gone, or its reason changed.
      Dataset<Row> currentKeys = current.select(col("key").as("cur_key"), col("reason").as("cur_reason"));
      Dataset<Row> retired = live.join(currentKeys, live.col("key").equalTo(currentKeys.col("cur_key"))
          .and(live.col("reason").eqNullSafe(currentKeys.col("cur_reason"))), "left_anti").select("key");
      Dataset<Row> encoded = spark.createDataFrame(
          toEncode.javaRDD().mapPartitions(new StoreTasks.Encode(key, listName, keyVersion, version,
              reasonColumn != null)), StoreTasks.ENTRY_SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
      long added = encoded.count();
      long removed = retired.count();
      if (old != null && !full && added == 0 && removed == 0) {
        return new Refresh(old, 0, 0, nullKeys, false);
      }
      Dataset<Row> retiredKeys = retired.select(col("key").as("retired_key"));
      Dataset<Row> next = entries.join(retiredKeys, entries.col("key").equalTo(retiredKeys.col("retired_key"))
              .and(entries.col("removed").isNull()), "left_outer")
          .withColumn("removed", when(col("retired_key").isNotNull(), lit(version)).otherwise(col("removed")))
          .drop("retired_key")
          .unionByName(encoded);
      Path entriesDir = new Path(store, "entries-v" + version);
      next.write().mode(SaveMode.Overwrite).parquet(entriesDir.toString());
      Dataset<Row> written = spark.read().schema(StoreTasks.ENTRY_SCHEMA).parquet(entriesDir.toString());
      Path indexDir = new Path(store, "index-v" + version);
      int payloadBytes = payloadBytes(reasonColumn);
      List<io.veil.blacklist.internal.BucketSummary> buckets = StoreTasks.writeIndex(
          written.where(col("removed").isNull()).select("tag", "payload"), fs, indexDir, payloadBytes);
      ListIndex.writeManifest(fs, indexDir, version, payloadBytes, buckets, Map.of("list", listName));
      Version v;
      try (ListIndex index = ListIndex.open(fs, indexDir)) {
        v = new Version(version, index.records(), index.digest());
      }
      List<Version> history = new ArrayList<>(full ? List.of() : old.history());
      history.add(v);
      Manifest m = new Manifest(FORMAT, listName, keyVersion, payloadBytes, v, List.copyOf(history),
          Instant.now().toString());
      writeManifest(fs, new Path(store), m);
      if (old != null) {
        fs.delete(old.entries(new Path(store)), true);
        fs.delete(old.index(new Path(store)), true);
      }
      encoded.unpersist(false);
      return new Refresh(m, added, removed, nullKeys, full);
    } catch (IOException e) {
      throw new VeilException("Cannot write the encoded list to " + store + ": " + e.getMessage(), e);
    } finally {
      rows.unpersist(false);
    }
  }

  /** The entries of {@code manifest}'s current version. */
  public static Dataset<Row> entries(SparkSession spark, String store, Manifest manifest) {
    return spark.read().schema(StoreTasks.ENTRY_SCHEMA).parquet(manifest.entries(new Path(store)).toString());
  }

  static int payloadBytes(String reasonColumn) {
    return reasonColumn == null ? 0 : ListCodec.PAYLOAD_BYTES;
  }

  private static void writeManifest(FileSystem fs, Path store, Manifest m) throws IOException {
    Path tmp = new Path(store, MANIFEST + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      JSON.writeValue(out, m);
    }
    Path file = new Path(store, MANIFEST);
    fs.delete(file, false);
    if (!fs.rename(tmp, file)) {
      throw new IOException("cannot rename " + tmp + " to " + file);
    }
  }
}
