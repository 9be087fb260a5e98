package io.veil.ledger.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static String canon(String json) throws Exception {
    return new String(CanonicalJson.encode(MAPPER.readTree(json)), StandardCharsets.UTF_8);
  }

  @Test
  void sortsMembersRecursivelyAndDropsWhitespace() throws Exception {
    assertThat(canon("{ \"b\" : [ 3 , {\"z\":null, \"a\":true} ], \"a\" : \"x\" , \"B\": false }"))
        .isEqualTo("{\"B\":false,\"a\":\"x\",\"b\":[3,{\"a\":true,\"z\":null}]}");
    assertThat(canon("{}")).isEqualTo("{}");
    assertThat(canon("[]")).isEqualTo("[]");
  }

  /** RFC 8785 sorts by UTF-16 code units: U+1F600 (surrogates D83D DE00) sorts before U+E000. */
  @Test
  void sortsByUtf16CodeUnitsNotCodePoints() {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("\ue000", 1);
    n.put("\ud83d\ude00", 2);
    n.put("\u00e9", 3);
    assertThat(new String(CanonicalJson.encode(n), StandardCharsets.UTF_8))
        .isEqualTo("{\"\u00e9\":3,\"\ud83d\ude00\":2,\"\ue000\":1}");
  }

  @Test
  void escapesOnlyWhatEcmascriptEscapes() {
    String s = "q\" b\\ \b\t\n\f\r \u0000\u001f \u007f \u2028 / \u00e9";
    JsonNode n = JsonNodeFactory.instance.textNode(s);
    assertThat(new String(CanonicalJson.encode(n), StandardCharsets.UTF_8))
        .isEqualTo("\"q\\\" b\\\\ \\b\\t\\n\\f\\r \\u0000\\u001f \u007f \u2028 / \u00e9\"");
    assertThat(CanonicalJson.encode(JsonNodeFactory.instance.textNode("\u00e9")))
        .isEqualTo(new byte[] {'"', (byte) 0xc3, (byte) 0xa9, '"'});
  }

  @Test
  void integersWithinTheSafeRangeOnly() throws Exception {
    assertThat(canon("[0,-1,9007199254740991,-9007199254740991]"))
        .isEqualTo("[0,-1,9007199254740991,-9007199254740991]");
    assertThatThrownBy(() -> CanonicalJson.encode(JsonNodeFactory.instance.numberNode(9007199254740992L)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("2^53");
    assertThatThrownBy(() -> CanonicalJson.encode(
            JsonNodeFactory.instance.numberNode(BigInteger.ONE.shiftLeft(70))))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> canon("{\"a\":1.5}"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("$.a").hasMessageContaining("fractional");
    assertThatThrownBy(() -> canon("[1.0]")).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void rejectsUnpairedSurrogates() {
    assertThatThrownBy(() -> CanonicalJson.encode(JsonNodeFactory.instance.textNode("a\ud800b")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("surrogate");
    assertThatThrownBy(() -> CanonicalJson.encode(JsonNodeFactory.instance.textNode("\udc00")))
        .isInstanceOf(InvalidInputException.class);
  }

  @Property(tries = 300)
  void canonicalFormOfAnyStringRoundTripsAndIsAFixedPoint(@ForAll String s) throws Exception {
    boolean wellFormed = s.codePoints().noneMatch(cp -> cp >= 0xd800 && cp <= 0xdfff);
    if (!wellFormed) {
      return;
    }
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put(s, s);
    n.put("k", 1);
    byte[] once = CanonicalJson.encode(n);
    JsonNode back = MAPPER.readTree(once);
    assertThat(back).isEqualTo(n);
    assertThat(CanonicalJson.encode(back)).isEqualTo(once);
  }
}
