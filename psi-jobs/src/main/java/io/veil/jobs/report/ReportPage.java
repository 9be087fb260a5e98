package io.veil.jobs.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.VeilException;
import io.veil.job.Leakage;
import io.veil.jobs.report.JointReport.AggregateLayout;
import io.veil.jobs.report.JointReport.GroupRow;
import io.veil.jobs.report.JointReport.PeriodResult;
import io.veil.ledger.Receipt;
import io.veil.ledger.chain.ReceiptAnchor;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Renders a {@link JointReport} as one self-contained HTML page: the verification verdict, headline
 * figures, charts (Apache ECharts, its minified script inlined), per-group tables, the audit trail
 * of every period and the operator's leakage statement. The page loads nothing: no network, no
 * file beside it; its Content-Security-Policy allows only its own two scripts (by hash) and inline
 * styles.
 *
 * <p><b>Escaping.</b> Everything that comes from a spec, a receipt or an output (group keys are
 * user data) is HTML-escaped in the markup; the chart data travels as JSON inside a {@code
 * <script type="application/json">} block with {@code <}, {@code >}, {@code &} and the JavaScript
 * line separators escaped, and the page's script escapes whatever it puts into tooltips.
 */
public final class ReportPage {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ECHARTS_PROPERTIES = "META-INF/maven/org.webjars.npm/echarts/pom.properties";
  /** Receipt figures not charted (protocol parameters, not results). */
  private static final Set<String> NOT_CHARTED = Set.of("comparisonBytes", "dpEpsilon", "dpDelta", "dims",
      "groups", "dataParties");

  private ReportPage() {}

  /** The ECharts version on the classpath (the webjar's). */
  public static String echartsVersion() {
    try (InputStream in = ReportPage.class.getClassLoader().getResourceAsStream(ECHARTS_PROPERTIES)) {
      if (in == null) {
        throw missingLibrary();
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw missingLibrary();
    }
  }

  private static String echartsScript() {
    String path = "META-INF/resources/webjars/echarts/" + echartsVersion() + "/dist/echarts.min.js";
    try (InputStream in = ReportPage.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw missingLibrary();
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw missingLibrary();
    }
  }

  private static VeilException missingLibrary() {
    return new VeilException("Cannot render the report: the charting library (Apache ECharts, webjar "
        + "org.webjars.npm:echarts) is not on the classpath. Run veil from its jar (bin/veil or the psi-jobs jar), "
        + "which carries it.");
  }

  /** The page for {@code report}. */
  public static String render(JointReport report) {
    String data = scriptJson(data(report));
    String echarts = echartsScript();
    String script = PAGE_SCRIPT;
    StringBuilder h = new StringBuilder(echarts.length() + 64 * 1024);
    String title = "Joint report: " + report.jobName();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            + "img-src data:; script-src '").append(sha256(echarts)).append("' '").append(sha256(script))
        .append("'\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<meta name=\"generator\" content=\"veil report\">\n")
        .append("<title>").append(esc(title)).append("</title>\n<style>").append(CSS).append("</style>\n</head>\n<body>\n");
    header(h, report, title);
    verdict(h, report);
    headline(h, report);
    charts(h, report);
    groupTables(h, report);
    audit(h, report);
    leakage(h, report);
    h.append("<footer><p>Made by <code>veil report</code> at ").append(esc(report.generatedAt().toString()))
        .append(" from ledger <code>").append(esc(report.ledger().toString())).append("</code>. Charts drawn by ")
        .append("Apache ECharts ").append(esc(echartsVersion())).append(" (Apache License 2.0), inlined: this file ")
        .append("needs no network and no other file.</p></footer>\n");
    h.append("<script type=\"application/json\" id=\"veil-data\">").append(data).append("</script>\n");
    h.append("<script>").append(echarts).append("</script>\n");
    h.append("<script>").append(script).append("</script>\n</body>\n</html>\n");
    return h.toString();
  }

  private static void header(StringBuilder h, JointReport r, String title) {
    List<String> periods = r.periods().stream().map(PeriodResult::label).toList();
    h.append("<header><h1>").append(esc(title)).append("</h1>\n<p class=\"sub\">Operator <b>")
        .append(esc(r.operator())).append("</b> · results of <b>").append(esc(r.party())).append("</b> · ")
        .append(r.periods().size() == 1 && r.periods().get(0).period() == null ? "a job without period"
            : (periods.size() == 1 ? "period " : periods.size() + " periods: ") + "<b>"
                + esc(String.join(", ", periods)) + "</b>");
    r.aggregate().ifPresent(a -> h.append(" · minimum group size <b>").append(a.minGroupSize()).append("</b>")
        .append(a.dp() == null ? " · exact totals (no DP noise)" : " · differential privacy: " + esc(a.dp())));
    h.append("</p></header>\n");
  }

  private static void verdict(StringBuilder h, JointReport r) {
    if (r.verified()) {
      h.append("<section id=\"verification\" class=\"verdict ok\"><h2>Verified</h2><p>The ledger <code>")
          .append(esc(r.ledger().toString())).append("</code> verifies (").append(r.ledgerReport().entries().size())
          .append(" entries: hash chain, receipt hashes, ").append(esc(r.party())).append("'s signatures, every ")
          .append("approval)");
      r.ledgerReport().head().ifPresent(head -> h.append("; head <code>").append(esc(head.toString())).append("</code>"));
      h.append(". Every period's receipt is for the contract of the given spec, approved by every party of the spec "
          + "with its pinned key, and every output shown recomputes to the commitment in its receipt");
      boolean onChain = r.periods().stream().allMatch(p -> p.anchorCheck().isPresent());
      h.append(onChain ? "; every receipt matches its anchor on the chain.</p></section>\n"
          : ". Anchors were not checked on a chain (no chain settings given).</p></section>\n");
      return;
    }
    h.append("<section id=\"verification\" class=\"verdict fail\"><h2>NOT VERIFIED</h2><p>These checks failed; "
        + "the figures below are not established by the receipts:</p><ul>");
    for (String p : r.problems()) {
      h.append("<li>").append(esc(p)).append("</li>");
    }
    h.append("</ul></section>\n");
  }

  private static void headline(StringBuilder h, JointReport r) {
    Set<String> keys = new LinkedHashSet<>();
    r.periods().forEach(p -> keys.addAll(p.receipt().result().keySet()));
    h.append("<section id=\"headline\"><h2>Headline figures</h2>\n<p class=\"note\">As recorded in ")
        .append(esc(r.party())).append("'s signed receipt of each period.</p>\n<table class=\"figures\"><thead><tr><th>figure</th>");
    r.periods().forEach(p -> h.append("<th>").append(esc(p.label())).append("</th>"));
    h.append("</tr></thead><tbody>");
    for (String k : keys) {
      h.append("<tr><th>").append(esc(k)).append("</th>");
      for (PeriodResult p : r.periods()) {
        String v = p.receipt().result().get(k);
        h.append("<td>").append(v == null ? "" : esc(v)).append("</td>");
      }
      h.append("</tr>");
    }
    h.append("</tbody></table></section>\n");
  }

  private static void charts(StringBuilder h, JointReport r) {
    h.append("<section id=\"charts\"><h2>Charts</h2>\n");
    if (r.aggregate().isPresent()) {
      AggregateLayout a = r.aggregate().get();
      h.append("<h3>Groups released and suppressed</h3>\n<div class=\"veil-chart\" id=\"chart-overview\"></div>\n");
      boolean anyGroups = r.periods().stream().anyMatch(p -> p.groups().isPresent());
      if (anyGroups) {
        for (int i = 0; i < a.measures().size(); i++) {
          h.append("<h3>").append(esc(a.measures().get(i))).append(" per group</h3>\n")
              .append("<p class=\"note\">Hatched bars marked <i>suppressed</i>: the group had fewer than ")
              .append(a.minGroupSize()).append(" rows, so its ").append(i == 0 ? "count was" : "sums were")
              .append(" not released").append(i == 0 ? " (the bar shows the threshold, not a count)" : "")
              .append(".</p>\n<div class=\"veil-chart groups\" id=\"chart-groups-").append(i).append("\"></div>\n");
        }
        if (r.periods().size() > 1) {
          for (int i = 0; i < a.measures().size(); i++) {
            h.append("<h3>Trend of ").append(esc(a.measures().get(i))).append(" across periods</h3>\n")
                .append("<div class=\"veil-chart\" id=\"chart-trend-").append(i).append("\"></div>\n");
          }
        } else {
          h.append("<p class=\"note\">One period: no trend to draw.</p>\n");
        }
      } else {
        h.append("<p class=\"note\">No per-group results: no output could be read as committed (see the "
            + "verification above).</p>\n");
      }
    } else {
      h.append("<h3>Figures per period</h3>\n<div class=\"veil-chart\" id=\"chart-overview\"></div>\n");
    }
    h.append("</section>\n");
  }

  private static void groupTables(StringBuilder h, JointReport r) {
    if (r.aggregate().isEmpty()) {
      return;
    }
    AggregateLayout a = r.aggregate().get();
    h.append("<section id=\"results\"><h2>Per-group results</h2>\n");
    for (PeriodResult p : r.periods()) {
      h.append("<h3>Period ").append(esc(p.label())).append("</h3>\n");
      if (p.groups().isEmpty()) {
        h.append("<p class=\"note\">Not shown: ").append(esc(p.outputCheck().text())).append(".</p>\n");
        continue;
      }
      h.append("<table class=\"groups\"><thead><tr>");
      a.groupColumns().forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
      a.measures().forEach(m -> h.append("<th class=\"num\">").append(esc(m)).append("</th>"));
      h.append("<th>status</th></tr></thead><tbody>");
      for (GroupRow g : p.groups().get()) {
        h.append(g.suppressed() ? "<tr class=\"suppressed\">" : "<tr>");
        g.keys().forEach(k -> h.append("<td>").append(esc(k)).append("</td>"));
        for (BigDecimal v : g.values()) {
          h.append(g.suppressed() ? "<td class=\"num supp\">suppressed</td>"
              : "<td class=\"num\">" + (v == null ? "" : esc(v.toPlainString())) + "</td>");
        }
        h.append("<td>").append(g.suppressed() ? "suppressed (fewer than " + a.minGroupSize() + " rows)" : "released")
            .append("</td></tr>");
      }
      h.append("</tbody></table>\n");
    }
    h.append("</section>\n");
  }

  private static void audit(StringBuilder h, JointReport r) {
    h.append("<section id=\"audit\"><h2>Audit trail</h2>\n");
    for (PeriodResult p : r.periods()) {
      Receipt rc = p.receipt();
      h.append("<div class=\"audit-period\"><h3>Period ").append(esc(p.label())).append("</h3>\n<table class=\"kv\">");
      kv(h, "job id", code(rc.jobId()));
      kv(h, "contract hash", code(rc.contractHash()) + " (spec <code>" + esc(p.specFile().toString()) + "</code>)");
      kv(h, "job root", code(p.jobRoot()) + " (the same in every party's receipt)");
      kv(h, "status", esc(rc.status().wire()) + ", " + esc(rc.startedAt()) + " to " + esc(rc.finishedAt()));
      kv(h, "receipt", "ledger entry " + p.entry().seq() + ", receipt hash " + code(p.entry().receiptHash())
          + ", entry hash " + code(p.entry().entryHash()) + ", signed by " + esc(rc.party()) + " ("
          + code(rc.partyKey()) + ")");
      kv(h, "input commitment", commitment(rc.inputCommitment()));
      kv(h, "output commitment", commitment(rc.outputCommitment()) + (rc.outputLocation() == null ? ""
          : " at <code>" + esc(rc.outputLocation()) + "</code>"));
      kv(h, "output check", (p.outputCheck().ok() ? "<span class=\"pass\">pass</span>: " : "<span class=\"failw\">FAIL</span>: ")
          + esc(p.outputCheck().text()));
      kv(h, "anchor", anchor(p));
      kv(h, "anchor check", p.anchorCheck().map(c -> (c.ok() ? "<span class=\"pass\">pass</span>: "
          : "<span class=\"failw\">FAIL</span>: ") + esc(c.text())).orElse("not checked on chain (no chain "
          + "settings given to veil report)"));
      kv(h, "protocol rounds", rc.roundDigests().size() + " round digests recorded");
      h.append("</table>\n<h4>Approvals</h4>\n<table class=\"approvals\"><thead><tr><th>party</th><th>public key</th>"
          + "<th>signature over the contract hash</th><th>check</th></tr></thead><tbody>");
      for (Receipt.Approval a : rc.approvals()) {
        boolean ok = p.approvalProblems().stream().noneMatch(q -> q.contains("'" + a.party() + "'"))
            && a.verifies(rc.contractHashBytes());
        h.append("<tr><td>").append(esc(a.party())).append("</td><td>").append(code(a.publicKey())).append("</td><td>")
            .append(code(abbreviate(a.signature()))).append("</td><td>")
            .append(ok ? "<span class=\"pass\">valid, the spec's pinned key</span>" : "<span class=\"failw\">FAIL</span>")
            .append("</td></tr>");
      }
      h.append("</tbody></table>\n");
      p.approvalProblems().forEach(q -> h.append("<p class=\"failw\">").append(esc(q)).append("</p>\n"));
      h.append("<h4>Other parties' commitment roots</h4>\n<table class=\"peers\"><thead><tr><th>party</th><th>input root</th>"
          + "<th>output root</th></tr></thead><tbody>");
      for (Receipt.PeerCommitment pc : rc.peerCommitments()) {
        h.append("<tr><td>").append(esc(pc.party())).append("</td><td>")
            .append(pc.inputRoot() == null ? "none" : code(pc.inputRoot())).append("</td><td>")
            .append(pc.outputRoot() == null ? "none" : code(pc.outputRoot())).append("</td></tr>");
      }
      h.append("</tbody></table></div>\n");
    }
    h.append("<details><summary>Ledger verification (as <code>veil verify</code> prints it)</summary><pre>")
        .append(esc(r.ledgerReport().summary())).append("</pre></details>\n</section>\n");
  }

  private static String anchor(PeriodResult p) {
    if (p.anchor().isEmpty()) {
      return "not anchored (no record in the ledger's anchor outbox): the receipt is in the signed local ledger only";
    }
    ReceiptAnchor a = p.anchor().get();
    StringBuilder s = new StringBuilder(esc(a.stage().name().toLowerCase(java.util.Locale.ROOT)));
    if (a.txHash() != null) {
      s.append(", transaction ").append(code(a.txHash()));
    }
    if (a.blockNumber() != null) {
      s.append(" in block ").append(a.blockNumber());
    }
    if (a.chainId() != null) {
      s.append(", chain id ").append(a.chainId()).append(", contract ").append(code(a.contract()));
    }
    s.append("; anchored leaf ").append(code(a.leaf())).append(" (as recorded in the ledger's anchor outbox)");
    return s.toString();
  }

  private static String commitment(Receipt.Commitment c) {
    return c == null ? "none" : code(c.root()) + " (" + c.rows() + " rows, " + esc(c.algorithm()) + ")";
  }

  private static void kv(StringBuilder h, String k, String htmlValue) {
    h.append("<tr><th>").append(esc(k)).append("</th><td>").append(htmlValue).append("</td></tr>");
  }

  private static String code(String s) {
    return "<code>" + esc(s) + "</code>";
  }

  private static String abbreviate(String hex) {
    return hex.length() <= 24 ? hex : hex.substring(0, 16) + "…" + hex.substring(hex.length() - 8);
  }

  private static void leakage(StringBuilder h, JointReport r) {
    h.append("<section id=\"leakage\"><h2>Leakage statement</h2>\n<p class=\"note\">What each role learns beyond its ")
        .append("own output, as the <b>").append(esc(r.operator())).append("</b> operator states it for this job's ")
        .append("settings (semi-honest parties).</p>\n<table class=\"leakage\"><thead><tr><th>role</th><th>learns</th>")
        .append("</tr></thead><tbody>");
    for (Leakage l : r.leakage()) {
      h.append("<tr><td>").append(esc(l.role())).append("</td><td>").append(esc(l.learns())).append("</td></tr>");
    }
    h.append("</tbody></table></section>\n");
  }

  /** The chart data. */
  private static ObjectNode data(JointReport r) {
    ObjectNode d = JSON.createObjectNode();
    d.put("operator", r.operator());
    ArrayNode periods = d.putArray("periods");
    r.periods().forEach(p -> periods.add(p.label()));
    // Numeric receipt figures, per period.
    ObjectNode figures = d.putObject("figures");
    for (PeriodResult p : r.periods()) {
      for (Map.Entry<String, String> f : p.receipt().result().entrySet()) {
        if (NOT_CHARTED.contains(f.getKey()) || !f.getValue().matches("-?\\d+")) {
          continue;
        }
        ArrayNode series = figures.has(f.getKey()) ? (ArrayNode) figures.get(f.getKey()) : figures.putArray(f.getKey());
        while (series.size() < r.periods().indexOf(p)) {
          series.addNull();
        }
        series.add(Long.parseLong(f.getValue()));
      }
    }
    r.aggregate().ifPresent(a -> {
      ObjectNode agg = d.putObject("aggregate");
      agg.put("minGroupSize", a.minGroupSize());
      ArrayNode measures = agg.putArray("measures");
      a.measures().forEach(measures::add);
      // Groups: the domain order of the first period that has an output.
      List<List<String>> keys = new ArrayList<>();
      r.periods().forEach(p -> p.groups().ifPresent(gs -> gs.forEach(g -> {
        if (!keys.contains(g.keys())) {
          keys.add(g.keys());
        }
      })));
      ArrayNode groups = agg.putArray("groups");
      for (List<String> k : keys) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < k.size(); i++) {
          parts.add(a.groupColumns().get(i) + "=" + k.get(i));
        }
        groups.add(String.join(", ", parts));
      }
      ArrayNode released = agg.putArray("released");
      ArrayNode suppressed = agg.putArray("suppressed");
      ArrayNode byPeriod = agg.putArray("values");
      for (PeriodResult p : r.periods()) {
        released.add(figure(p, "releasedGroups"));
        suppressed.add(figure(p, "suppressedGroups"));
        ObjectNode pv = byPeriod.addObject();
        pv.put("available", p.groups().isPresent());
        ArrayNode supp = pv.putArray("suppressed");
        ArrayNode vals = pv.putArray("measures");
        for (int m = 0; m < a.measures().size(); m++) {
          vals.addArray();
        }
        for (List<String> k : keys) {
          GroupRow g = p.groups().flatMap(gs -> gs.stream().filter(x -> x.keys().equals(k)).findFirst()).orElse(null);
          if (g == null) {
            supp.addNull();
          } else {
            supp.add(g.suppressed());
          }
          for (int m = 0; m < a.measures().size(); m++) {
            BigDecimal v = g == null || g.suppressed() ? null : g.values().get(m);
            if (v == null) {
              ((ArrayNode) vals.get(m)).addNull();
            } else {
              ((ArrayNode) vals.get(m)).add(v.doubleValue());
            }
          }
        }
      }
    });
    return d;
  }

  private static Long figure(PeriodResult p, String key) {
    String v = p.receipt().result().get(key);
    return v == null || !v.matches("-?\\d+") ? null : Long.valueOf(v);
  }

  /** JSON safe inside a script element: no {@code <}, {@code >}, {@code &} or JS line separators. */
  static String scriptJson(ObjectNode node) {
    try {
      return JSON.writeValueAsString(node).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
          .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HTML-escapes text for element content and double- or single-quoted attributes. */
  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static String sha256(String script) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8));
      return "sha256-" + Base64.getEncoder().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final String CSS = """
      :root{--ink:#1d2733;--muted:#5b6775;--line:#d5dbe2;--ok:#1f7a3d;--bad:#b3261e;--band:#f4f6f8}
      *{box-sizing:border-box}
      body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--ink);margin:0 auto;
        max-width:1180px;padding:24px 32px 48px;background:#fff}
      h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
      h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px;color:var(--muted)}
      .sub{color:var(--muted);margin:0}.note{color:var(--muted);margin:2px 0 8px;font-size:13px}
      code{font:12px/1.3 "DejaVu Sans Mono",Menlo,Consolas,monospace;word-break:break-all}
      .verdict{border-radius:6px;padding:10px 16px;margin:18px 0}.verdict h2{border:0;margin:4px 0;padding:0}
      .verdict.ok{background:#e8f5ec;border:1px solid #9ccfab}.verdict.ok h2{color:var(--ok)}
      .verdict.fail{background:#fdecea;border:2px solid var(--bad)}.verdict.fail h2{color:var(--bad)}
      table{border-collapse:collapse;margin:6px 0 12px;width:100%}
      th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
      thead th{background:var(--band)}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
      table.figures{width:auto}table.figures td{text-align:right;min-width:90px}
      table.kv th{width:170px;background:var(--band);font-weight:600}
      tr.suppressed td{background:repeating-linear-gradient(-45deg,#f3f3f3,#f3f3f3 6px,#e6e6e6 6px,#e6e6e6 12px);color:#7a4a00}
      td.supp{font-style:italic}
      .veil-chart{width:100%;height:300px;border:1px solid var(--line);border-radius:4px;margin:4px 0 14px}
      .pass{color:var(--ok);font-weight:600}.failw{color:var(--bad);font-weight:600}
      footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
      pre{white-space:pre-wrap;font-size:12px;background:var(--band);padding:8px}
      @media print{.veil-chart{break-inside:avoid}.audit-period{break-inside:avoid}}
      """;

  /** Draws the charts from the JSON data block; escapes every text it puts into HTML (tooltips). */
  private static final String PAGE_SCRIPT = """
      (function () {
        'use strict';
        var data = JSON.parse(document.getElementById('veil-data').textContent);
        var PALETTE = ['#2f5d8a', '#d08a2e', '#3a8f6b', '#8a4f9e', '#b8473d', '#4f8fb8', '#7f7f3a', '#c06c94'];
        var SUPPRESSED = {color: '#e4e4e4', borderColor: '#8a8a8a', borderType: 'dashed', borderWidth: 1,
          decal: {symbol: 'rect', symbolSize: 1, dashArrayX: [1, 0], dashArrayY: [2, 4], rotation: -Math.PI / 4,
            color: 'rgba(120,80,0,0.45)'}};
        function esc(s) {
          return String(s).replace(/[&<>"']/g, function (c) {
            return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
          });
        }
        function fmt(v) {
          return v === null || v === undefined ? '' : Number(v).toLocaleString('en-US', {maximumFractionDigits: 6});
        }
        function nonZero(p) {
          return p.value ? String(p.value) : '';
        }
        var drawn = [];
        function draw(id, option, height) {
          var el = document.getElementById(id);
          if (!el) { return; }
          if (height) { el.style.height = height + 'px'; }
          var chart = echarts.init(el, null, {renderer: 'svg'});
          option.animation = false;
          option.color = PALETTE;
          option.textStyle = {fontFamily: 'DejaVu Sans, Arial, sans-serif'};
          chart.setOption(option);
          el.setAttribute('data-drawn', 'true');
          drawn.push(chart);
        }
        function byPeriod(ps) {
          return esc('period ' + ps[0].axisValue) + ps.map(function (p) {
            return '<br>' + esc(p.seriesName) + ': ' + esc(fmt(p.value));
          }).join('');
        }
        var periods = data.periods;
        var agg = data.aggregate;
        if (agg) {
          draw('chart-overview', {
            tooltip: {trigger: 'axis', formatter: byPeriod},
            legend: {top: 0},
            grid: {left: 50, right: 20, top: 36, bottom: 30, containLabel: true},
            xAxis: {type: 'category', data: periods},
            yAxis: {type: 'value', name: 'groups', minInterval: 1},
            series: [
              {name: 'released groups', type: 'bar', stack: 'g', data: agg.released, itemStyle: {color: '#3a8f6b'},
                barMaxWidth: 120, label: {show: true, position: 'inside', color: '#fff', formatter: nonZero}},
              {name: 'suppressed groups', type: 'bar', stack: 'g', data: agg.suppressed, itemStyle: SUPPRESSED,
                barMaxWidth: 120, label: {show: true, position: 'inside', color: '#5a3a00', formatter: nonZero}}
            ]
          });
          var n = agg.groups.length;
          agg.measures.forEach(function (measure, m) {
            var isCount = m === 0;
            var series = periods.map(function (period, pi) {
              var pv = agg.values[pi];
              return {
                name: period, type: 'bar', barMaxWidth: 18,
                data: agg.groups.map(function (g, gi) {
                  if (!pv.available) { return null; }
                  if (pv.suppressed[gi]) {
                    return {value: isCount ? agg.minGroupSize : 0, suppressed: true, itemStyle: SUPPRESSED,
                      label: {show: true, position: 'right', formatter: 'suppressed', color: '#8a5a00',
                        fontStyle: 'italic'}};
                  }
                  return pv.measures[m][gi];
                })
              };
            });
            draw('chart-groups-' + m, {
              tooltip: {trigger: 'item', formatter: function (p) {
                var v = p.data && p.data.suppressed
                  ? 'suppressed: fewer than ' + agg.minGroupSize + ' rows, nothing released'
                  : fmt(p.value);
                return esc(p.name) + '<br>' + esc('period ' + p.seriesName) + ': ' + esc(v);
              }},
              legend: {top: 0, data: periods},
              grid: {left: 10, right: 90, top: 30, bottom: 24, containLabel: true},
              yAxis: {type: 'category', data: agg.groups, inverse: true,
                axisLabel: {fontSize: 11, width: 260, overflow: 'break', lineHeight: 13}},
              xAxis: {type: 'value', name: measure, nameLocation: 'end'},
              series: series
            }, Math.max(240, 70 + n * Math.max(1, periods.length) * 13));
            if (periods.length > 1) {
              var lines = agg.groups.map(function (g, gi) {
                return {name: g, type: 'line', connectNulls: false, symbolSize: 7,
                  data: periods.map(function (period, pi) {
                    var pv = agg.values[pi];
                    return pv.available && !pv.suppressed[gi] ? pv.measures[m][gi] : null;
                  })};
              });
              var marks = [];
              periods.forEach(function (period, pi) {
                var pv = agg.values[pi];
                agg.groups.forEach(function (g, gi) {
                  if (pv.available && pv.suppressed[gi]) {
                    marks.push({value: [pi, 0], group: g});
                  }
                });
              });
              lines.push({name: 'suppressed', type: 'scatter', symbol: 'triangle', symbolSize: 11,
                itemStyle: {color: '#b06a00'}, data: marks});
              draw('chart-trend-' + m, {
                tooltip: {trigger: 'item', formatter: function (p) {
                  if (p.seriesName === 'suppressed') {
                    return esc(p.data.group) + '<br>' + esc('period ' + periods[p.data.value[0]]) + ': suppressed';
                  }
                  return esc(p.seriesName) + '<br>' + esc('period ' + p.name) + ': ' + esc(fmt(p.value));
                }},
                legend: {type: 'scroll', bottom: 0},
                grid: {left: 10, right: 30, top: 30, bottom: 40, containLabel: true},
                xAxis: {type: 'category', data: periods, boundaryGap: false},
                yAxis: {type: 'value', name: measure},
                series: lines
              }, 340);
            }
          });
        } else {
          var names = Object.keys(data.figures);
          draw('chart-overview', {
            tooltip: {trigger: 'axis', formatter: byPeriod},
            legend: {top: 0},
            grid: {left: 10, right: 20, top: 36, bottom: 24, containLabel: true},
            xAxis: {type: 'category', data: periods},
            yAxis: {type: 'value'},
            series: names.map(function (k) {
              return {name: k, type: periods.length > 1 ? 'line' : 'bar', data: data.figures[k], symbolSize: 8,
                label: {show: true, position: 'top'}};
            })
          });
        }
        window.addEventListener('resize', function () { drawn.forEach(function (c) { c.resize(); }); });
        document.body.setAttribute('data-charts-drawn', String(drawn.length));
      })();
      """;
}
