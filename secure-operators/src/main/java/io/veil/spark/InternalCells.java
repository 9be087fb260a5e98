package io.veil.spark;

import java.io.Serializable;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampType;

/**
 * How {@link DatasetCommitment}'s internal-row hasher reads each column of Spark's internal rows so
 * that it hashes what the {@code Row} path would: flat types straight from the row, the rest (nested
 * types, timestamps without a zone, intervals, user types) converted to the objects Spark's own
 * {@code Row}s hold.
 *
 * <p>Spark converts a date or timestamp before the Gregorian switch (1582, and for some zones the
 * last offset change of the hybrid calendar, before 1900) by rebasing it into {@code java.sql.Date}
 * or {@code java.sql.Timestamp}, unless the session uses Java 8 time ({@code
 * spark.sql.datetime.java8API.enabled}). Those values take the same round trip here; later ones are
 * the same either way.
 */
final class InternalCells implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int OTHER = 0;
  static final int STRING = 1;
  static final int LONG = 2;
  static final int INT = 3;
  static final int SHORT = 4;
  static final int BYTE = 5;
  static final int BINARY = 6;
  static final int DECIMAL = 7;
  static final int DOUBLE = 8;
  static final int FLOAT = 9;
  static final int BOOLEAN = 10;
  static final int TIMESTAMP = 11;
  static final int DATE = 12;
  /** From these on (microseconds, days) Spark's conversion gives back the same value: no rebasing. */
  private static final long SAME_FROM_MICROS =
      Math.max(RebaseDateTime.lastSwitchGregorianTs(), RebaseDateTime.lastSwitchJulianTs());
  private static final int SAME_FROM_DAY =
      Math.max(RebaseDateTime.lastSwitchGregorianDay(), RebaseDateTime.lastSwitchJulianDay());

  final DataType[] types;
  final int[] kinds;
  private final boolean java8Time;
  private transient scala.Function1<Object, Object>[] converters;

  /** Reads the session's conversion settings: call on the driver, with the rows' session active. */
  InternalCells(DataType[] types) {
    this(types, SQLConf.get().datetimeJava8ApiEnabled());
  }

  private InternalCells(DataType[] types, boolean java8Time) {
    this.types = types;
    this.java8Time = java8Time;
    this.kinds = new int[types.length];
    for (int i = 0; i < types.length; i++) {
      kinds[i] = kind(types[i]);
    }
  }

  /** A copy for one task (its own converters). */
  InternalCells fresh() {
    return new InternalCells(types, java8Time);
  }

  private static int kind(DataType t) {
    if (t instanceof StringType) {
      return STRING;
    } else if (t instanceof LongType) {
      return LONG;
    } else if (t instanceof IntegerType) {
      return INT;
    } else if (t instanceof ShortType) {
      return SHORT;
    } else if (t instanceof ByteType) {
      return BYTE;
    } else if (t instanceof BinaryType) {
      return BINARY;
    } else if (t instanceof DecimalType) {
      return DECIMAL;
    } else if (t instanceof DoubleType) {
      return DOUBLE;
    } else if (t instanceof FloatType) {
      return FLOAT;
    } else if (t instanceof BooleanType) {
      return BOOLEAN;
    } else if (t instanceof TimestampType) {
      return TIMESTAMP;
    } else if (t instanceof DateType) {
      return DATE;
    }
    return OTHER;
  }

  /** Spark's microseconds as the Row path gets them back from the external timestamp. */
  long timestampMicros(long micros) {
    if (java8Time || micros >= SAME_FROM_MICROS) {
      return micros;
    }
    return DateTimeUtils.fromJavaTimestamp(DateTimeUtils.toJavaTimestamp(micros));
  }

  /** Spark's epoch day as the Row path gets it back from the external date. */
  long epochDay(int days) {
    if (java8Time || days >= SAME_FROM_DAY) {
      return days;
    }
    return DateTimeUtils.toJavaDate(days).toLocalDate().toEpochDay();
  }

  /** The object Spark's Row holds for internal value {@code v} of column {@code i}. */
  @SuppressWarnings("unchecked")
  Object external(int i, Object v) {
    if (converters == null) {
      converters = new scala.Function1[types.length];
    }
    if (converters[i] == null) {
      SQLConf conf = new SQLConf();
      conf.setConfString(SQLConf.DATETIME_JAVA8API_ENABLED().key(), String.valueOf(java8Time));
      DataType t = types[i];
      converters[i] = SQLConf.withExistingConf(conf, () -> CatalystTypeConverters.createToScalaConverter(t));
    }
    return converters[i].apply(v);
  }
}
