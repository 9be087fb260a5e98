package io.veil.ledger.chain;

import java.net.URI;

/** Renders an RPC URL for messages without the parts where hosted nodes carry credentials. */
final class RpcUrls {
  private RpcUrls() {}

  /**
   * The URL without user-info and query, and with any path segment of 16 or more letters and
   * digits (an API key, as in {@code /v3/<key>}) replaced by {@code ***}.
   */
  static String redact(String url) {
    if (url == null) {
      return "null";
    }
    try {
      URI u = URI.create(url);
      if (u.getHost() == null) {
        return "<unparseable URL>";
      }
      StringBuilder s = new StringBuilder(u.getScheme()).append("://").append(u.getHost());
      if (u.getPort() >= 0) {
        s.append(':').append(u.getPort());
      }
      String path = u.getRawPath() == null ? "" : u.getRawPath();
      s.append(path.replaceAll("(?<=/)[A-Za-z0-9_-]{16,}", "***"));
      return s.toString();
    } catch (IllegalArgumentException e) {
      return "<unparseable URL>";
    }
  }
}
