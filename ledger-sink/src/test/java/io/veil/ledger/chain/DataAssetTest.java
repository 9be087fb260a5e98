package io.veil.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Asset metadata: JSON form, proof = SHA-256(canonical JSON), validation naming the field. */
class DataAssetTest {
  private static final String ID = "11".repeat(32);
  private static final String CHILD = "22".repeat(32);
  private static final String OP = "33".repeat(32);

  private static final String FULL = "{\n"
      + "  \"id\": \"" + ID + "\",\n"
      + "  \"type\": \"algorithm\",\n"
      + "  \"owner\": \"0xAbCdEf0123456789abcdef0123456789ABCDEF01\",\n"
      + "  \"storagePath\": \"s3a://bank/models/risk\",\n"
      + "  \"endpoint\": \"https://bank.example/veil\",\n"
      + "  \"children\": [\"" + CHILD + "\"],\n"
      + "  \"operationCodeHashes\": [\"" + OP + "\"]\n"
      + "}\n";

  private static DataAsset parse(String json) {
    return DataAsset.parse(json.getBytes(StandardCharsets.UTF_8), "m.json");
  }

  @Test
  void readsEveryFieldAndNormalisesTheOwner() {
    DataAsset a = parse(FULL);
    assertThat(a.idHex()).isEqualTo(ID);
    assertThat(a.type()).isEqualTo(DataAsset.Type.ALGORITHM);
    assertThat(a.owner()).isEqualTo("0xabcdef0123456789abcdef0123456789abcdef01");
    assertThat(a.storagePath()).isEqualTo("s3a://bank/models/risk");
    assertThat(a.endpoint()).isEqualTo("https://bank.example/veil");
    assertThat(a.childrenHex()).containsExactly(CHILD);
    assertThat(a.children()).singleElement().isEqualTo(HexFormat.of().parseHex(CHILD));
    assertThat(a.operationCodeHashes()).containsExactly(OP);
  }

  @Test
  void proofIsSha256OfTheCanonicalJsonOfAllFields() throws Exception {
    DataAsset a = parse("{\"type\": \"data\", \"storagePath\": \"hdfs:///x\", \"id\": \"" + ID + "\"}");
    String canonical = "{\"children\":[],\"endpoint\":null,\"id\":\"" + ID + "\",\"operationCodeHashes\":[],"
        + "\"owner\":null,\"storagePath\":\"hdfs:///x\",\"type\":\"data\"}";
    assertThat(a.toJson()).isEqualTo(canonical);
    byte[] expected = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
    assertThat(a.proof()).isEqualTo(expected);
    assertThat(a.proofHex()).isEqualTo(HexFormat.of().formatHex(expected));
  }

  @Test
  void layoutKeyOrderAndLeftOutDefaultsDoNotChangeTheProofAndToJsonRoundTrips() {
    DataAsset a = parse(FULL);
    DataAsset reordered = parse("{\"operationCodeHashes\":[\"" + OP + "\"],\"children\":[\"" + CHILD + "\"],"
        + "\"endpoint\":\"https://bank.example/veil\",\"storagePath\":\"s3a://bank/models/risk\","
        + "\"owner\":\"0xabcdef0123456789abcdef0123456789abcdef01\",\"type\":\"algorithm\",\"id\":\"" + ID + "\"}");
    assertThat(reordered.proofHex()).isEqualTo(a.proofHex());
    assertThat(parse(a.toJson())).isEqualTo(a);
    String minimal = "{\"id\":\"" + ID + "\",\"type\":\"data\",\"storagePath\":\"p\"}";
    String explicit = "{\"id\":\"" + ID + "\",\"type\":\"data\",\"storagePath\":\"p\",\"owner\":null,"
        + "\"endpoint\":null,\"children\":[],\"operationCodeHashes\":[]}";
    assertThat(parse(explicit).proofHex()).isEqualTo(parse(minimal).proofHex());
  }

  @Test
  void everyValueChangesTheProof() {
    String base = parse(FULL).proofHex();
    List<String[]> edits = List.of(
        new String[] {ID, "44".repeat(32)},
        new String[] {"algorithm", "compute"},
        new String[] {"0xAbCdEf", "0xAbCdEe"},
        new String[] {"risk", "risk2"},
        new String[] {"bank.example", "bank.example.org"},
        new String[] {CHILD, "55".repeat(32)},
        new String[] {OP, "66".repeat(32)},
        new String[] {"\"endpoint\": \"https://bank.example/veil\",", ""});
    for (String[] e : edits) {
      assertThat(parse(FULL.replace(e[0], e[1])).proofHex()).as(e[0]).isNotEqualTo(base);
    }
  }

  @Test
  void readsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("asset.json");
    Files.writeString(file, FULL);
    assertThat(DataAsset.read(file)).isEqualTo(parse(FULL));
    assertThatThrownBy(() -> DataAsset.read(dir.resolve("missing.json")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("missing.json").hasMessageContaining("--metadata");
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("not JSON", "{", "not valid JSON"),
        Arguments.of("not an object", "[]", "not a JSON object"),
        Arguments.of("duplicate key", FULL.replace("{\n", "{\"type\":\"data\",\n"), "Duplicate"),
        Arguments.of("unknown field", FULL.replace("\"type\"", "\"colour\": \"red\", \"type\""),
            "field 'colour' is not a metadata field"),
        Arguments.of("missing id", FULL.replace("\"id\": \"" + ID + "\",", ""), "field 'id' is missing"),
        Arguments.of("id with 0x", FULL.replace("\"" + ID + "\"", "\"0x" + ID + "\""), "field 'id'"),
        Arguments.of("id upper case", FULL.replace(ID, ID.replace("1", "A")), "field 'id'"),
        Arguments.of("id zero", FULL.replace(ID, "0".repeat(64)), "field 'id' is all zero"),
        Arguments.of("id a number", FULL.replace("\"" + ID + "\"", "17"), "field 'id' is not a string"),
        Arguments.of("missing type", FULL.replace("\"type\": \"algorithm\",", ""), "field 'type' is missing"),
        Arguments.of("unknown type", FULL.replace("algorithm", "model"), "field 'type' is 'model'"),
        Arguments.of("bad owner", FULL.replace("0xAbCdEf0123456789abcdef0123456789ABCDEF01", "bank"),
            "field 'owner'"),
        Arguments.of("missing storagePath", FULL.replace("\"storagePath\": \"s3a://bank/models/risk\",", ""),
            "field 'storagePath' is missing"),
        Arguments.of("long storagePath", FULL.replace("s3a://bank/models/risk", "x".repeat(1025)),
            "field 'storagePath' is longer than 1024"),
        Arguments.of("blank endpoint", FULL.replace("https://bank.example/veil", " "), "field 'endpoint' is blank"),
        Arguments.of("children not a list", FULL.replace("[\"" + CHILD + "\"]", "\"" + CHILD + "\""),
            "field 'children' is not a list"),
        Arguments.of("bad child", FULL.replace(CHILD, "22"), "field 'children[0]'"),
        Arguments.of("child is itself", FULL.replace(CHILD, ID), "field 'children[0]' is the asset's own id"),
        Arguments.of("repeated child", FULL.replace("[\"" + CHILD + "\"]", "[\"" + CHILD + "\", \"" + CHILD + "\"]"),
            "field 'children[1]' repeats"),
        Arguments.of("bad operation hash", FULL.replace(OP, "sha256:abc"), "field 'operationCodeHashes[0]'"),
        Arguments.of("operation hash a number", FULL.replace("[\"" + OP + "\"]", "[1]"),
            "field 'operationCodeHashes[0]' is not a string"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void invalidMetadataIsRefusedNamingTheField(String what, String json, String fragment) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read asset metadata m.json: ")
        .hasMessageContaining(fragment)
        .hasMessageEndingWith(".");
  }

  @Test
  void theConstructorValidatesToo() {
    assertThatThrownBy(() -> new DataAsset(ID, DataAsset.Type.DATA, null, "p", null, List.of(ID), null))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("field 'children[0]' is the asset's own id");
  }
}
