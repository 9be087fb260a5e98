package io.veil.psi.internal;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.crypto.ot.CuckooHash;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The OPRF receiver's keys must fit one OT extension (2^24 rows over all buckets); else a clear error. */
class OprfReceiverSizeTest {
  private static long[] buckets(int count, long keysEach) {
    long[] b = new long[count];
    Arrays.fill(b, keysEach);
    return b;
  }

  @Test
  void keysWhoseTablesFitOneExtensionAreAccepted() {
    // 8 x 1.6M keys: 8 x 2,032,000 bins = 16,256,000 <= 2^24
    assertThatCode(() -> OprfPsiProtocol.checkReceiverSize("bank_a", buckets(8, 1_600_000))).doesNotThrowAnyException();
    assertThatCode(() -> OprfPsiProtocol.checkReceiverSize("bank_a", buckets(4, 0))).doesNotThrowAnyException();
  }

  @Test
  void moreBinsThanOneExtensionIsSizedForAreRefusedNamingTheWayOut() {
    // 8 x 1.7M keys: 8 x 2,159,000 bins = 17,272,000 > 2^24
    assertThatThrownBy(() -> OprfPsiProtocol.checkReceiverSize("bank_a", buckets(8, 1_700_000)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("bank_a").hasMessageContaining("13600000 distinct keys need 17272000 cuckoo bins")
        .hasMessageContaining("psi.protocol: ecdh").hasMessageContaining("No data was sent");
  }

  @Test
  void aPartitionLargerThanOneTableIsRefusedAskingForMorePartitions() {
    assertThatThrownBy(() -> OprfPsiProtocol.checkReceiverSize("bank_a", new long[] {CuckooHash.MAX_ITEMS + 1L}))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("one of its 1 partitions holds 8388609 distinct keys").hasMessageContaining("psi.partitions");
  }
}
