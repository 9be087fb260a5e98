package io.veil.spec;

/**
 * Where a party writes its output.
 *
 * @param path directory (any Hadoop path)
 * @param format {@code parquet} (default) or {@code csv}
 */
public record OutputSpec(String path, String format) {}
