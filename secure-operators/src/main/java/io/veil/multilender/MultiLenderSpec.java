package io.veil.multilender;

import io.veil.InvalidInputException;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.psi.KeyNormalization;
import io.veil.spec.ColumnUse;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings of a multi-lender check ({@code operator: multi-lender}, section {@code multiLender}).
 *
 * @param lender the party asking about its applicants; it alone receives the result
 * @param peers the other parties (the peer lenders), in spec order
 * @param amount the peers' column of outstanding amounts (the same name at every peer)
 * @param scale decimal places of the amounts
 * @param maxAbs the largest outstanding amount one peer may hold for one person (after summing its
 *     loans to that person)
 * @param countAs the output column with the number of peers holding a loan for the applicant
 * @param totalAs the output column with the total outstanding amount over those peers
 * @param partitions Spark partitions (buckets) of each step
 * @param batchRows elements per signed batch (capped by the channel's record size)
 * @param normalization key normalisation, as in PSI
 */
public record MultiLenderSpec(String lender, List<String> peers, String amount, int scale, BigDecimal maxAbs,
    String countAs, String totalAs, int partitions, int batchRows, KeyNormalization normalization)
    implements OperatorSettings {

  /** Fewest peers: with one, the count would say which lender holds the loan. */
  public static final int MIN_PEERS = 2;
  /** Most peers: the peers' shares of one applicant, each below 2^61, must add up below 2^64. */
  public static final int MAX_PEERS = 8;
  /** Bits of one peer's largest amount for one person, in units of 10^-scale. */
  public static final int AMOUNT_BITS = 56;

  /** Reads and validates the section against the spec's parties. */
  public static MultiLenderSpec read(SpecSection s, List<PartySpec> parties) {
    s.require();
    s.allowOnly("lender", "amount", "countAs", "totalAs", "partitions", "batchRows", "normalize");
    String lender = s.party("lender", parties);
    List<String> peers = parties.stream().map(PartySpec::id).filter(p -> !p.equals(lender)).toList();
    if (peers.size() < MIN_PEERS || peers.size() > MAX_PEERS) {
      throw s.errorAt("parties", "lists " + peers.size() + " peer lender(s) besides " + lender + ", but a multi-lender "
          + "check needs " + MIN_PEERS + " to " + MAX_PEERS + ": with one peer the count would tell the lender which "
          + "peer holds each loan");
    }
    SpecSection a = s.child("amount");
    a.require();
    a.allowOnly("column", "scale", "maxAbs");
    String column = a.string("column", null);
    int scale = a.integer("scale", 0, 0, FixedPoint.MAX_SCALE);
    BigDecimal limit = new BigDecimal(BigInteger.ONE.shiftLeft(AMOUNT_BITS).subtract(BigInteger.ONE)).movePointLeft(
        scale);
    BigDecimal maxAbs = a.decimal("maxAbs", false).orElse(limit);
    if (maxAbs.signum() <= 0 || maxAbs.compareTo(limit) > 0) {
      throw a.error("maxAbs", "must be positive and at most (2^" + AMOUNT_BITS + " - 1) * 10^-" + scale + " = "
          + limit.toPlainString() + " (got " + maxAbs.toPlainString() + "); lower the scale for larger amounts");
    }
    try {
      FixedPoint.of(scale, maxAbs);
    } catch (InvalidInputException e) {
      throw a.error("", "has an unusable format: " + e.getMessage());
    }
    String countAs = outputName(s, "countAs", "lenders_with_loan");
    String totalAs = outputName(s, "totalAs", "total_" + column.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_"));
    if (countAs.equalsIgnoreCase(totalAs)) {
      throw s.error("totalAs", "names the same output column as countAs ('" + countAs + "'); choose another");
    }
    s.twoPartyInputs(parties, p -> p.id().equals(lender) ? "the lender's applicants" : "the peer's open loans",
        lender, "lender", "the lender receives, per applicant, the number of peers with a loan and the total");
    return new MultiLenderSpec(lender, peers, column, scale, maxAbs, countAs, totalAs,
        s.integer("partitions", 4, 1, 4096), s.integer("batchRows", 1024, 1, 1 << 20), s.normalization());
  }

  private static String outputName(SpecSection s, String field, String dflt) {
    String name = s.string(field, dflt);
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw s.error(field, "must be letters, digits and '_', not starting with a digit (got '" + name + "')");
    }
    return name;
  }

  /** The fixed-point format of one peer's amount for one person. */
  public FixedPoint format() {
    return FixedPoint.of(scale, maxAbs);
  }

  @Override
  public Map<String, Object> canonical() {
    Map<String, Object> m = new TreeMap<>();
    m.put("lender", lender);
    m.put("amount", Map.of("column", amount, "scale", scale, "maxAbs", maxAbs.toPlainString()));
    m.put("countAs", countAs);
    m.put("totalAs", totalAs);
    m.put("partitions", partitions);
    m.put("batchRows", batchRows);
    m.put("normalize", normalization.canonical());
    return m;
  }

  @Override
  public List<String> recipients() {
    return List.of(lender);
  }

  /** Ids are join keys; the lender's other columns are output; the peers' amounts are {@code aggregate}. */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    ColumnUse.JOIN_KEY.addTo(uses, party.input().keyColumns());
    if (party.id().equals(lender)) {
      ColumnUse.OUTPUT.addTo(uses, party.input().columns());
    } else {
      ColumnUse.AGGREGATE.addTo(uses, List.of(amount));
    }
    return uses;
  }

  /** The lender's rows come back with the result (all columns unless it lists some); peers' only keys and amounts. */
  @Override
  public boolean readsEveryColumn(PartySpec party) {
    return party.id().equals(lender) && party.input().columns() == null;
  }
}
