package io.veil.testing;

import org.apache.spark.sql.SparkSession;

/** One small local SparkSession per test class (local[2], no UI, few shuffle partitions). */
public final class SparkTestSession {
  private SparkTestSession() {}

  public static SparkSession create(String appName) {
    return SparkSession.builder()
        .appName(appName)
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.adaptive.enabled", "false")
        // What `veil run` uses locally and many clusters set: everything shuffled must be Kryo-safe.
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .getOrCreate();
  }
}
