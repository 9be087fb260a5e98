package io.veil.sql;

import io.veil.sql.internal.SqlFunctions;
import org.apache.spark.sql.SparkSessionExtensions;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Veil's Spark SQL functions, enabled with one setting:
 *
 * <pre>
 * spark.sql.extensions=io.veil.sql.VeilSqlExtensions
 * </pre>
 *
 * <p>It registers a table-valued function per secure operator ({@code veil_psi}, {@code
 * veil_aggregate}, {@code veil_feature_aggregate}, ... and {@code veil_job} for any operator) and the
 * scalar helpers {@code veil_normalize} and {@code veil_key}. {@code SHOW FUNCTIONS LIKE 'veil*'}
 * lists them; {@code DESCRIBE FUNCTION EXTENDED veil_psi} shows usage and an example.
 *
 * <p>A table function runs one party's side of a job agreed in a spec, found by name in {@code
 * spark.veil.sql.spec-dir}, through the same job runtime as {@code veil run}: this party's identity,
 * key file and policy come from the session's configuration ({@code spark.veil.party.*}), never from
 * the query. The job runs when the query runs (not when it is planned), once per query, and its
 * result is a relation: the operator's output where this party receives one, otherwise one row
 * describing the finished job and its receipt.
 */
public final class VeilSqlExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    SqlFunctions.register(extensions);
    return BoxedUnit.UNIT;
  }
}
