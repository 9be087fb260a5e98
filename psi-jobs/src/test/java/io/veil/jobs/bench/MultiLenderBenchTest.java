package io.veil.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@link MultiLenderBench}'s options and input layout (no job is run). */
class MultiLenderBenchTest {
  private static MultiLenderBench.Options parse(String... args) {
    MultiLenderBench.Options o = new MultiLenderBench.Options();
    new CommandLine(o).parseArgs(args);
    return o;
  }

  @Test
  void defaultsAreValid() {
    MultiLenderBench.Options o = parse();
    assertThat(o.problem()).isNull();
    assertThat(o.applicants).isEqualTo(100_000);
    assertThat(o.loans).isEqualTo(100_000);
    assertThat(o.peers).isEqualTo(3);
    assertThat(o.partitions).isEqualTo(4);
    assertThat(o.heap).isEqualTo("2g");
    assertThat(o.workDir).isEqualTo("target/veil-mlc-bench");
  }

  @Test
  void problemsNameTheOption() {
    assertThat(parse("--applicants", "0").problem()).startsWith("--applicants must be between 1 and 50,000,000");
    assertThat(parse("--applicants", "50000001", "--partitions", "100").problem())
        .startsWith("--applicants must be between 1 and 50,000,000");
    assertThat(parse("--applicants", "2800000").problem()).isNull();
    assertThat(parse("--applicants", "2800001").problem()).contains("--applicants", "--partitions 4", "cuckoo bins",
        "at least 5");
    assertThat(parse("--applicants", "1000000", "--partitions", "1").problem()).contains("at least 2");
    assertThat(parse("--loans", "0").problem()).startsWith("--loans must be");
    assertThat(parse("--peers", "1").problem()).startsWith("--peers must be between 2 and 8");
    assertThat(parse("--peers", "9").problem()).startsWith("--peers must be between 2 and 8");
    assertThat(parse("--peers", "8").problem()).isNull();
    assertThat(parse("--partitions", "0").problem()).startsWith("--partitions");
    assertThat(parse("--heap", "lots").problem()).startsWith("--heap");
    assertThat(parse("--timeout-s", "0").problem()).startsWith("--timeout-s");
  }

  /** Applicants are at 0, 1, .., K peers: peer i starts at (i + 1) N / (2K), the last at N / 2. */
  @Test
  void peersOverlapTheApplicantsInSteps() {
    assertThat(MultiLenderBench.offset(0, 100_000, 3)).isEqualTo(16_666);
    assertThat(MultiLenderBench.offset(1, 100_000, 3)).isEqualTo(33_333);
    assertThat(MultiLenderBench.offset(2, 100_000, 3)).isEqualTo(50_000);
    assertThat(MultiLenderBench.stepOf("veil.peer1.bench-mlc-1.mlc-eq-u.peer2")).isEqualTo("mlc-eq-u");
    assertThat(MultiLenderBench.stepOf("peer1.job.mlc-u")).isEqualTo("mlc-u");
  }
}
