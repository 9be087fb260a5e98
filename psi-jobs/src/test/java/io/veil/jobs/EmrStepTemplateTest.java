package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.deploy.SparkSubmitArguments;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;
import scala.collection.JavaConverters;

/**
 * The EMR step template ({@code cluster-configs/spark/submit-emr-step.json}) through the real
 * parsers: its spark-submit part through Spark's own {@code SparkSubmitArguments}, what follows the
 * jar through the Veil CLI's command tree (every option and {@code --conf} setting must exist and
 * hold a valid value), and every file the job names must be one that {@code --files} ships.
 */
class EmrStepTemplateTest {
  private static final Path TEMPLATE = Path.of("..", "cluster-configs", "spark", "submit-emr-step.json");

  @Test
  void everyStepParsesAsSparkSubmitAndAsAVeilRun() throws Exception {
    JsonNode steps = new ObjectMapper().readTree(Files.readString(TEMPLATE, StandardCharsets.UTF_8)).path("Steps");
    assertThat(steps.size()).isPositive();
    for (JsonNode step : steps) {
      List<String> args = new ArrayList<>();
      step.path("HadoopJarStep").path("Args").forEach(a -> args.add(a.asText()));
      assertThat(step.path("HadoopJarStep").path("Jar").asText()).isEqualTo("command-runner.jar");
      assertThat(args.get(0)).isEqualTo("spark-submit");

      SparkSubmitArguments submit = new SparkSubmitArguments(
          JavaConverters.asScalaBuffer(args.subList(1, args.size())).toSeq(),
          JavaConverters.mapAsScalaMap(Map.of("HADOOP_CONF_DIR", "/etc/hadoop/conf")).toMap(
              scala.Predef$.MODULE$.<scala.Tuple2<String, String>>$conforms()));
      assertThat(submit.master()).isEqualTo("yarn");
      assertThat(submit.mainClass()).isEqualTo(VeilCli.class.getName());
      assertThat(submit.primaryResource()).endsWith(".jar");
      assertThat(submit.name()).isEqualTo(step.path("Name").asText());
      Set<String> shipped = new HashSet<>();
      for (String f : submit.files().split(",")) {
        shipped.add(f.substring(f.lastIndexOf('/') + 1));
      }

      List<String> veilArgs = new ArrayList<>(JavaConverters.seqAsJavaList(submit.childArgs()));
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
      ParseResult parsed = VeilCli.commandLine(new VeilCli.Streams(ps, ps)).parseArgs(veilArgs.toArray(String[]::new));
      ParseResult run = parsed.subcommand();
      assertThat(run.commandSpec().name()).isEqualTo("run");
      for (String option : List.of("--spec", "--key", "--policy")) {
        assertThat(shipped).as(option + " names a file that --files ships").contains(run.matchedOptionValue(option, ""));
      }
      List<String> confs = run.matchedOptionValue("--conf", List.of());
      String properties = confs.stream().filter(c -> c.startsWith("veil.channel.kafka.properties.file="))
          .map(c -> c.substring(c.indexOf('=') + 1)).findFirst().orElseThrow();
      assertThat(shipped).contains(properties);
      assertThat(step.path("Name").asText()).endsWith(run.matchedOptionValue("--period", "none"))
          .contains(run.matchedOptionValue("--party", "none"));
    }
  }

  @Test
  void aTemplateWithAMistypedOptionWouldFailThisTest() {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
    CommandLine veil = VeilCli.commandLine(new VeilCli.Streams(ps, ps));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> veil.parseArgs("run", "--spec", "psi.yaml",
        "--conf", "veil.channel.bootstrap.server=b-1:9096"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("veil.channel.bootstrap.server");
  }
}
