package io.veil.testing.toy;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.crypto.sharing.PairwiseMasking;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.RunKey;
import io.veil.spec.ColumnUse;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StructType;

/**
 * A toy operator that lives only on the test classpath (registered in the test resources'
 * {@code META-INF/services/io.veil.job.SecureOperator}): every data party sums one whole-number
 * column (negative values are an input error), masks its total with pairwise masks, and announces it; the result party adds the masked
 * totals and learns the sum. It uses nothing but the public operator API, to show that an operator
 * needs no change to any runtime, spec-reader or CLI file.
 *
 * <pre>
 * operator: toy-sum
 * toySum: {resultParty: bank_a, column: v}
 * </pre>
 */
public final class ToySumOperator implements SecureOperator {
  static final String STEP = "toy-total";

  /** The section: who learns the sum, which column is summed. */
  public record Settings(String resultParty, String column) implements OperatorSettings {
    @Override
    public Map<String, Object> canonical() {
      return new TreeMap<>(Map.of("resultParty", resultParty, "column", column));
    }

    @Override
    public List<String> recipients() {
      return List.of(resultParty);
    }

    /** The summed column, at every party with an input: only the total over all parties is released. */
    @Override
    public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
      Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
      if (party.input() != null) {
        ColumnUse.AGGREGATE.addTo(uses, List.of(column));
      }
      return uses;
    }

    @Override
    public boolean readsEveryColumn(PartySpec party) {
      return false;
    }
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    Settings s = spec.settings(Settings.class);
    return List.of(new Leakage(s.resultParty() + " (result party)", "the total of '" + s.column() + "' over every "
        + "party's rows"), new Leakage("Kafka operator / network", "the number of parties and timing"));
  }

  @Override
  public String name() {
    return "toy-sum";
  }

  @Override
  public String section() {
    return "toySum";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    section.require().allowOnly("resultParty", "column");
    String result = section.string("resultParty", null);
    if (parties.stream().noneMatch(p -> p.id().equals(result))) {
      throw section.error("resultParty", "names '" + result + "', which is not a party of the spec");
    }
    return new Settings(result, section.string("column", null));
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    String column = spec.settings(Settings.class).column();
    if (!List.of(schema.fieldNames()).contains(column) || !(schema.apply(column).dataType() instanceof LongType)) {
      throw new InvalidInputException("Cannot sum " + party.id() + "'s input: column '" + column + "' is not a "
          + "bigint column. Fix the input or the spec.");
    }
  }

  private static final StructType TOTAL = new StructType().add("total", DataTypes.LongType, false);

  @Override
  public java.util.Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    return party.id().equals(spec.settings(Settings.class).resultParty()) ? java.util.Optional.of(TOTAL)
        : java.util.Optional.empty();
  }

  @Override
  public OperatorResult run(OperatorContext c) {
    Settings s = c.settings(Settings.class);
    long total = 0;
    DatasetCommitment.Commitment commitment = null;
    if (c.input().isPresent()) {
      Row r = c.input().get().agg(org.apache.spark.sql.functions.sum(s.column()),
          org.apache.spark.sql.functions.min(s.column())).first();
      total = r.isNullAt(0) ? 0 : r.getLong(0);
      if (!r.isNullAt(1) && r.getLong(1) < 0) {
        // Local detail (a value, a location) that must stay with this party.
        throw new InvalidInputException("Cannot sum " + c.me() + "'s input: it holds the negative value "
            + r.getLong(1) + " (read from /secret/" + c.me() + "/ledger.csv). Remove negative rows.");
      }
      commitment = DatasetCommitment.compute(c.input().get(), c.inputCommitmentSalt());
    }
    RunKey run = c.bindInput(commitment);
    List<String> data = c.spec().dataParties();
    OperatorResult.Builder out = OperatorResult.builder().inputRows(c.input().isPresent() ? 1 : 0);
    if (!data.contains(c.me())) {
      return collect(c, s, data, 0, out);
    }
    Map<String, byte[]> peerKeys = new TreeMap<>();
    data.stream().filter(p -> !p.equals(c.me())).forEach(p -> peerKeys.put(p, c.agreementKey(p)));
    PairwiseMasking masks = PairwiseMasking.create(c.me(), AggregationKeys.derive(c.key().resolve(), c.jobId()),
        peerKeys, c.jobId(), run.binding());
    long masked = total + masks.mask(STEP, 1, 0)[0];
    if (c.me().equals(s.resultParty())) {
      return collect(c, s, data, masked, out);
    }
    c.publishNotice(STEP, ByteBuffer.allocate(8).putLong(masked).array());
    return out.figure("sent", "masked total").build();
  }

  private static OperatorResult collect(OperatorContext c, Settings s, List<String> data, long own,
      OperatorResult.Builder out) {
    if (!c.me().equals(s.resultParty())) {
      return out.build();
    }
    long sum = own;
    for (String p : data) {
      if (p.equals(c.me())) {
        continue;
      }
      byte[] b = c.awaitNotice(p, STEP, "its masked total");
      if (b.length != 8) {
        throw new ProtocolException(p, STEP, "Cannot add " + p + "'s total: it is not 8 bytes.");
      }
      sum += ByteBuffer.wrap(b).getLong();
    }
    return out.figure("total", sum).display("total", sum)
        .output(c.spark().createDataFrame(List.of(RowFactory.create(sum)), TOTAL)).details(sum).build();
  }
}
