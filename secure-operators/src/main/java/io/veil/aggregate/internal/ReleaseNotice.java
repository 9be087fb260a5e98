package io.veil.aggregate.internal;

import io.veil.crypto.sharing.PairwiseSealing;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;

/**
 * The release list of a grouped aggregation: which groups of the domain the result party releases,
 * sealed ({@link PairwiseSealing}) for the data parties, so that anyone else reading the control
 * topic learns only its (fixed) length.
 *
 * <p>Sealed content: {@code u32 groups | u32 released | bitmap}, the bitmap in exactly {@code
 * (groups + 7) / 8} bytes (bit {@code g % 8} of byte {@code g / 8} for group {@code g}), so that its
 * length depends on the domain alone, never on which groups are released. The sealing context is the
 * step, under the job's pair keys.
 */
public final class ReleaseNotice {
  private ReleaseNotice() {}

  /** The notice of {@code released} (groups of a domain of {@code groups}) for {@code recipients}. */
  public static byte[] seal(PairwiseSealing sealing, Collection<String> recipients, String step, int groups,
      BitSet released) {
    if (released.length() > groups) {
      throw new IllegalArgumentException("group " + (released.length() - 1) + " is outside a domain of " + groups);
    }
    byte[] bits = Arrays.copyOf(released.toByteArray(), bitmapBytes(groups));
    byte[] plain = ByteBuffer.allocate(8 + bits.length).putInt(groups).putInt(released.cardinality()).put(bits)
        .array();
    return sealing.seal(recipients, context(step), plain);
  }

  /**
   * The released groups of {@code sender}'s notice.
   *
   * @throws IllegalArgumentException if it does not open (not sealed by {@code sender} for this party,
   *     this job and step) or does not describe a domain of {@code groups}
   */
  public static BitSet open(PairwiseSealing sealing, String sender, String step, int groups, byte[] notice) {
    ByteBuffer in = ByteBuffer.wrap(sealing.open(sender, context(step), notice));
    if (in.remaining() != 8 + bitmapBytes(groups)) {
      throw new IllegalArgumentException("it has " + in.remaining() + " bytes, not " + (8 + bitmapBytes(groups)));
    }
    int announced = in.getInt();
    int count = in.getInt();
    byte[] bytes = new byte[in.remaining()];
    in.get(bytes);
    BitSet bits = BitSet.valueOf(bytes);
    if (announced != groups || bits.length() > groups || bits.cardinality() != count) {
      throw new IllegalArgumentException("it does not match the domain of " + groups + " groups");
    }
    return bits;
  }

  private static int bitmapBytes(int groups) {
    return (groups + 7) / 8;
  }

  private static byte[] context(String step) {
    return step.getBytes(StandardCharsets.UTF_8);
  }
}
