package io.veil.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.util.encoders.Hex;

/** Loads the JSON test vectors stored under {@code src/test/resources/vectors}. */
public final class VectorFiles {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private VectorFiles() {}

  /** Parses {@code vectors/<path>} from the test class path. */
  public static JsonNode load(String path) {
    String resource = "/vectors/" + path;
    try (InputStream in = VectorFiles.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lists the elements of a JSON array. */
  public static List<JsonNode> list(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  public static byte[] hex(JsonNode node) {
    return Hex.decode(node.asText());
  }

  /** A "0x..." big-endian hex field element as 32 little-endian bytes. */
  public static byte[] bigEndianHexToLittleEndian32(String hex0x) {
    BigInteger v = new BigInteger(hex0x.startsWith("0x") ? hex0x.substring(2) : hex0x, 16);
    byte[] le = new byte[32];
    for (int i = 0; i < 32; i++) {
      le[i] = v.shiftRight(8 * i).byteValue();
    }
    return le;
  }

  /** Reads 32 little-endian bytes as an unsigned integer. */
  public static BigInteger littleEndianToBigInteger(byte[] le, int off) {
    byte[] be = new byte[33];
    for (int i = 0; i < 32; i++) {
      be[32 - i] = le[off + i];
    }
    return new BigInteger(be);
  }
}
