package io.veil.multilender;

import io.veil.InvalidInputException;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.multilender.internal.LenderCheck;
import io.veil.psi.PsiInputs;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Multi-lender check ({@code operator: multi-lender}): a lender asks its peer lenders about its
 * applicants and learns, per applicant, how many of them hold an open loan for that person and the
 * total outstanding amount, but not which peer holds what; the peers learn the number of applicants
 * and nothing about whom the lender asked about.
 *
 * <h2>Protocol (semi-honest parties)</h2>
 * For every peer P, over the lender's one cuckoo table per bucket: an oblivious PRF of each bin's
 * applicant under P's key (KKRT16); P programs, per bin, two polynomials (an oblivious programmable
 * PRF, Kolesnikov et al. 2017) so that an applicant P has decodes to a random tag of the bin and to
 * its amount plus a random mask; a private equality test on the tag in 4-bit chunks (1-of-16 OTs)
 * leaves the lender and P with shares of the membership bit, which two 1-of-17 OTs turn into
 * additive shares (mod 2^61 - 1) of [member]·(1, amount). Each peer adds zero-sum masks agreed
 * pairwise with the other peers before sending its shares, so the lender, adding everything, learns
 * only the sums over the peers. See {@link io.veil.crypto.ot.MembershipShares}.
 */
public final class MultiLenderOperator implements SecureOperator {
  public static final String NAME = "multi-lender";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "multiLender";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return MultiLenderSpec.read(section, parties);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    MultiLenderSpec s = spec.settings(MultiLenderSpec.class);
    PsiInputs.validate(schema, party.input().keyColumns(), party.id(), "the multi-lender check");
    if (party.id().equals(s.lender())) {
      List<String> names = List.of(schema.fieldNames());
      for (String out : List.of(s.countAs(), s.totalAs())) {
        if (names.stream().anyMatch(n -> n.equalsIgnoreCase(out))) {
          throw new InvalidInputException("Cannot run the multi-lender check for " + party.id() + ": the input "
              + "already has a column '" + out + "', which the result adds. Rename it, or set multiLender.countAs / "
              + "multiLender.totalAs.");
        }
      }
      return;
    }
    List<String> names = List.of(schema.fieldNames());
    if (!names.contains(s.amount())) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + party.id() + ": amount column '"
          + s.amount() + "' is not in the input (columns: " + String.join(", ", names) + "). Fix "
          + "multiLender.amount.column or the input.");
    }
    if (!(schema.apply(s.amount()).dataType() instanceof NumericType)) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + party.id() + ": amount column '"
          + s.amount() + "' has type " + schema.apply(s.amount()).dataType().simpleString() + ", not a number. Cast "
          + "it in the input, or declare its type in input.schema.");
    }
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    MultiLenderSpec s = spec.settings(MultiLenderSpec.class);
    if (!party.id().equals(s.lender())) {
      return Optional.empty();
    }
    return Optional.of(inputSchema.add(s.countAs(), DataTypes.IntegerType, true)
        .add(s.totalAs(), DataTypes.createDecimalType(38, s.scale()), true));
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("distinct ids", figures.get("distinctKeys"));
    if (figures.containsKey("applicantsWithLoans")) {
      d.put("peers asked", figures.get("peers"));
      d.put("applicants with a loan at a peer", figures.get("applicantsWithLoans"));
    } else {
      d.put("lender's applicants", figures.get("lenderDistinctKeys"));
    }
    return d;
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    MultiLenderSpec s = spec.settings(MultiLenderSpec.class);
    return List.of(
        new Leakage(s.lender() + " (lender)", "per applicant, only the number of peers with a loan and their total "
            + "(its output), not which peer holds what; each peer's bin load bound (about its number of ids per "
            + "partition); if it colludes with all peers but one, that peer's loans to its applicants"),
        new Leakage("each peer (" + String.join(", ", s.peers()) + ")", "the lender's number of distinct applicants, "
            + "in total and per partition (cuckoo bins); nothing about which ids were asked about or whether any "
            + "matched"),
        new Leakage("Kafka operator / network", "every party's number of ids per partition, sizes and timing; no id, "
            + "amount, count or share in clear"));
  }

  @Override
  public OperatorResult run(OperatorContext c) {
    MultiLenderSpec s = c.settings(MultiLenderSpec.class);
    LenderCheck.Result r = c.me().equals(s.lender()) ? LenderCheck.lender(c, s) : LenderCheck.peer(c, s);
    OperatorResult.Builder out = OperatorResult.builder().inputRows(r.inputRows()).rounds(r.rounds(),
        LenderCheck.STEPS);
    r.figures().forEach(out::figure);
    r.output().ifPresent(out::output);
    return out.build();
  }
}
