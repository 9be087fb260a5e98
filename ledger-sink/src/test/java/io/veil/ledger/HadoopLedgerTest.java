package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CommonPathCapabilities;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.util.Progressable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receipt ledger on HDFS, against a real MiniDFSCluster (one NameNode and one DataNode in this
 * JVM, on 127.0.0.1): appends chain across reopened ledgers and other HDFS clients, byte for byte
 * as the local ledger writes them; {@link LedgerVerifier} reads hdfs:// and names tampering; one
 * writer at a time (the HDFS lease); a file system that cannot append is refused before anything
 * is written.
 */
class HadoopLedgerTest {
  @TempDir static java.nio.file.Path base;
  @TempDir java.nio.file.Path dir;
  static MiniDFSCluster dfs;
  static Configuration conf;
  static int fileNo;

  @BeforeAll
  static void startHdfs() throws IOException {
    Configuration c = new Configuration();
    c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
    c.setInt("dfs.replication", 1);
    c.setBoolean("dfs.client.block.write.replace-datanode-on-failure.enable", false);
    dfs = new MiniDFSCluster.Builder(c).numDataNodes(1).build();
    dfs.waitActive();
    conf = dfs.getConfiguration(0);
  }

  @AfterAll
  static void stopHdfs() {
    if (dfs != null) {
      dfs.shutdown();
    }
  }

  static URI freshUri() {
    return URI.create(dfs.getURI() + "/veil/ledger-" + (fileNo++) + "/bank_a.jsonl");
  }

  static HadoopLedger open(URI uri) {
    return HadoopLedger.open(uri, Fixtures.BANK_A, conf, 30_000);
  }

  static byte[] read(URI uri) throws IOException {
    try (FileSystem fs = FileSystem.newInstance(uri, conf); var in = fs.open(new Path(uri))) {
      return in.readAllBytes();
    }
  }

  static void write(URI uri, byte[] bytes) throws IOException {
    try (FileSystem fs = FileSystem.newInstance(uri, conf); var out = fs.create(new Path(uri), true)) {
      out.write(bytes);
    }
  }

  @Test
  void appendsChainAcrossReopenAndClientsAndMatchTheLocalLedgerByteForByte() throws Exception {
    URI uri = freshUri();
    HadoopLedger ledger = open(uri);
    assertThat(ledger.entries()).isEmpty();
    LedgerEntry e0 = ledger.append(Fixtures.receipt("job-0"));
    LedgerEntry e1 = open(uri).append(Fixtures.receipt("job-1"));
    // A second HDFS client (another process's view): its own lease holder, the same chain.
    Configuration other = new Configuration(conf);
    other.setBoolean("fs.hdfs.impl.disable.cache", true);
    LedgerEntry e2 = HadoopLedger.open(uri, Fixtures.BANK_A, other, 30_000).append(Fixtures.receipt("job-2"));

    assertThat(List.of(e0.seq(), e1.seq(), e2.seq())).containsExactly(0L, 1L, 2L);
    assertThat(e1.prevHash()).isEqualTo(e0.entryHash());
    assertThat(e2.prevHash()).isEqualTo(e1.entryHash());
    assertThat(HadoopLedger.openReadOnly(uri, conf).entries()).containsExactly(e0, e1, e2);
    assertThat(open(uri).head()).contains(e2.head());
    assertThat(ledger.findByJobId("job-1")).contains(e1);

    java.nio.file.Path local = dir.resolve("local.jsonl");
    LocalLedger l = LocalLedger.open(local, Fixtures.BANK_A);
    for (String job : List.of("job-0", "job-1", "job-2")) {
      l.append(Fixtures.receipt(job));
    }
    assertThat(read(uri)).isEqualTo(Files.readAllBytes(local));

    VerificationReport report = LedgerVerifier.create()
        .verify(LedgerLocation.parse(uri.toString()), Fixtures.BANK_A.publicKey(), e2.head());
    assertThat(report.ok()).as(report.summary()).isTrue();
    assertThat(report.entries()).hasSize(3);
    assertThat(report.summary()).contains(uri.toString());
  }

  @Test
  void verifyNamesAnEntryEditedOnHdfsAndAppendsRefuseAnEditedHead() throws Exception {
    URI uri = freshUri();
    HadoopLedger ledger = open(uri);
    for (int i = 0; i < 3; i++) {
      ledger.append(Fixtures.receipt("job-" + i));
    }
    String text = new String(read(uri), StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>(List.of(text.split("\n")));
    lines.set(1, lines.get(1).replace("\"job-1\"", "\"job-X\""));
    write(uri, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));

    VerificationReport report = LedgerVerifier.create()
        .verify(LedgerLocation.parse(uri.toString()), Fixtures.BANK_A.publicKey(), null);
    assertThat(report.ok()).isFalse();
    assertThat(report.problemsFor(1)).isNotEmpty();
    assertThat(report.problemsFor(0)).isEmpty();

    lines.set(1, lines.get(1).replace("\"job-X\"", "\"job-1\""));
    lines.set(2, lines.get(2).replace("\"job-2\"", "\"job-Y\""));
    write(uri, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    byte[] before = read(uri);
    assertThatThrownBy(() -> ledger.append(Fixtures.receipt("job-3")))
        .isInstanceOf(VeilException.class).hasMessageContaining("does not verify").hasMessageContaining(uri.toString());
    assertThatThrownBy(() -> open(uri)).isInstanceOf(VeilException.class).hasMessageContaining("does not verify");
    assertThat(read(uri)).isEqualTo(before);
  }

  @Test
  void oneWriterAtATimeTheSecondWaitsForTheLease() throws Exception {
    URI uri = freshUri();
    LedgerEntry e0 = open(uri).append(Fixtures.receipt("job-0"));
    Configuration other = new Configuration(conf);
    other.setBoolean("fs.hdfs.impl.disable.cache", true);
    try (FileSystem holderFs = FileSystem.newInstance(uri, other)) {
      FSDataOutputStream held = holderFs.append(new Path(uri)); // another client holds the lease
      HadoopLedger impatient = HadoopLedger.open(uri, Fixtures.BANK_A, conf, 1_500);
      assertThatThrownBy(() -> impatient.append(Fixtures.receipt("job-1")))
          .isInstanceOf(VeilException.class).hasMessageContaining("another writer holds it open")
          .hasMessageContaining("HDFS allows one writer per file");

      CompletableFuture<LedgerEntry> waiting = CompletableFuture.supplyAsync(() -> open(uri)
          .append(Fixtures.receipt("job-1")));
      Thread.sleep(1_500);
      assertThat(waiting).isNotDone();
      held.close();
      LedgerEntry e1 = waiting.get(60, TimeUnit.SECONDS);
      assertThat(e1.seq()).isEqualTo(1);
      assertThat(e1.prevHash()).isEqualTo(e0.entryHash());
    }
    assertThat(LedgerVerifier.create().verify(LedgerLocation.parse(uri.toString()), Fixtures.BANK_A.publicKey(),
        null).ok()).isTrue();
  }

  @Test
  void concurrentAppendersInOneJvmEachGetTheirOwnSeq() throws Exception {
    URI uri = freshUri();
    List<CompletableFuture<LedgerEntry>> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String job = "job-" + i;
      all.add(CompletableFuture.supplyAsync(() -> open(uri).append(Fixtures.receipt(job))));
    }
    for (CompletableFuture<LedgerEntry> f : all) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(open(uri).entries()).extracting(LedgerEntry::seq).containsExactly(0L, 1L, 2L, 3L);
  }

  /**
   * A real Hadoop file system (the local disk) that, like an object store, cannot append: its
   * {@code append} throws {@link UnsupportedOperationException}, as S3A's does, and it does not
   * declare the append capability.
   */
  public static final class NoAppendFileSystem extends RawLocalFileSystem {
    private URI uri; // null while RawLocalFileSystem's constructor qualifies its working directory

    @Override
    public void initialize(URI name, Configuration c) throws IOException {
      super.initialize(name, c);
      uri = URI.create(name.getScheme() + ":///");
    }

    @Override
    public URI getUri() {
      return uri == null ? URI.create("noappend:///") : uri;
    }

    @Override
    public String getScheme() {
      return getUri().getScheme();
    }

    @Override
    public FSDataOutputStream append(Path f, int bufferSize, Progressable progress) {
      throw new UnsupportedOperationException("Append is not supported by " + getClass().getSimpleName());
    }

    @Override
    public boolean hasPathCapability(Path p, String capability) throws IOException {
      return !CommonPathCapabilities.FS_APPEND.equals(capability) && super.hasPathCapability(p, capability);
    }
  }

  @Test
  void aFileSystemThatCannotAppendIsRefusedOnTheDriverBeforeAnythingIsWritten() throws Exception {
    Configuration c = new Configuration(false);
    c.set("fs.noappend.impl", NoAppendFileSystem.class.getName());
    c.setBoolean("fs.noappend.impl.disable.cache", true);
    URI uri = URI.create("noappend://" + dir.resolve("ledger/bank_a.jsonl").toUri().getPath());
    assertThatThrownBy(() -> HadoopLedger.open(uri, Fixtures.BANK_A, c, 1_000))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'noappend' file system cannot append")
        .hasMessageContaining("Append is not supported by NoAppendFileSystem")
        .hasMessageContaining("hdfs://").hasMessageContaining("--deploy-mode client");
    // The probe it wrote to find out is gone, and no ledger was created.
    try (var files = Files.list(dir.resolve("ledger"))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void anObjectStoreIsRefusedWithoutWritingAProbeAndTheRuntimeSinkRefusesItToo() throws Exception {
    String key = "spark.hadoop.fs.s3a.impl";
    System.setProperty(key, NoAppendFileSystem.class.getName());
    System.setProperty("spark.hadoop.fs.s3a.impl.disable.cache", "true");
    try {
      java.nio.file.Path bucket = dir.resolve("bucket");
      Files.createDirectories(bucket);
      String location = "s3a://" + bucket.toUri().getPath() + "veil/bank_a.jsonl";
      // What the job runtime calls on the driver when it builds the job, before any input is read.
      assertThatThrownBy(() -> LedgerReceipts.at(LedgerLocation.parse(location)))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("'s3a' file system cannot append").hasMessageContaining("an object store")
          .hasMessageContaining("Nothing was read or sent");
      try (var files = Files.walk(bucket)) {
        assertThat(files.filter(Files::isRegularFile)).isEmpty();
      }
    } finally {
      System.clearProperty(key);
      System.clearProperty("spark.hadoop.fs.s3a.impl.disable.cache");
    }
  }

  @Test
  void anS3OrGcsLedgerIsRefusedFromItsSchemeEvenWithoutTheirConnector() {
    for (String location : List.of("s3a://bank-a-receipts/veil/bank_a.jsonl", "gs://bank-a/veil/bank_a.jsonl")) {
      assertThatThrownBy(() -> LedgerReceipts.at(LedgerLocation.parse(location)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("file system cannot append")
          .hasMessageContaining(location);
      assertThatThrownBy(() -> HadoopLedger.open(URI.create(location), Fixtures.BANK_A, conf, 1_000))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("file system cannot append");
    }
  }

  @Test
  void locationsParseAsLocalFilesOrHadoopUris() {
    assertThat(LedgerLocation.parse("ledger/bank_a.jsonl").localPath()).contains(java.nio.file.Path.of("ledger/bank_a.jsonl"));
    assertThat(LedgerLocation.parse("file:///tmp/l.jsonl").localPath()).contains(java.nio.file.Path.of("/tmp/l.jsonl"));
    assertThat(LedgerLocation.parse("hdfs://nn:8020/veil/l.jsonl").hadoopUri()).contains(URI.create("hdfs://nn:8020/veil/l.jsonl"));
    assertThat(LedgerLocation.parse("hdfs:///veil/l.jsonl").isLocal()).isFalse();
    assertThatThrownBy(() -> LedgerLocation.parse("hdfs://nn:8020/veil/")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("veil.ledger.path");
  }
}
