package io.veil.spec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills a job's period into the locations of a spec: input paths, tables and reader options, and
 * output paths and tables may hold {@code ${period}} and, for a period that starts with a date
 * ({@code 2026}, {@code 2026-11}, {@code 2026-11-30}, optionally followed by more, e.g.
 * {@code 2026-11.r2}), {@code ${period.year}}, {@code ${period.month}} and {@code ${period.day}}.
 * A placeholder that cannot be filled is an error naming the field, never left in a path.
 */
final class PeriodTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern DATE = Pattern.compile("(\\d{4})(?:-(\\d{2})(?:-(\\d{2}))?)?(?![0-9]).*");
  static final String KNOWN = "${period}, ${period.year}, ${period.month}, ${period.day}";

  private final String period;
  private final Map<String, String> values = new LinkedHashMap<>();

  PeriodTemplate(String period) {
    this.period = period;
    if (period == null) {
      return;
    }
    values.put("period", period);
    Matcher date = DATE.matcher(period);
    if (date.matches()) {
      values.put("period.year", date.group(1));
      if (date.group(2) != null) {
        values.put("period.month", date.group(2));
      }
      if (date.group(3) != null) {
        values.put("period.day", date.group(3));
      }
    }
  }

  /** {@code value} with its placeholders filled; {@code field} names it in errors. */
  String fill(SpecReader r, String field, String value) {
    if (value == null || !value.contains("${")) {
      return value;
    }
    Matcher m = PLACEHOLDER.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String filled = values.get(name);
      if (filled == null) {
        throw r.error(field, problem(name));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(filled));
    }
    m.appendTail(out);
    if (out.indexOf("${") >= 0) {
      throw r.error(field, "holds an unclosed '${'; placeholders are " + KNOWN);
    }
    return out.toString();
  }

  private String problem(String name) {
    if (!name.equals("period") && !name.startsWith("period.")) {
      return "holds ${" + name + "}, which Veil does not fill; placeholders are " + KNOWN;
    }
    if (period == null) {
      return "holds ${" + name + "} but the job has no period; give one with --period (or 'period:' in the spec, "
          + "or the SQL function's period argument)";
    }
    if (!KNOWN.contains("${" + name + "}")) {
      return "holds ${" + name + "}, which Veil does not fill; placeholders are " + KNOWN;
    }
    return "holds ${" + name + "} but period '" + period + "' does not start with a date that has it (e.g. "
        + "2026-11-30 has year, month and day; 2026-11 has year and month)";
  }
}
