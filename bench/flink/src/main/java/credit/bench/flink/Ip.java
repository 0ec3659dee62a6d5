package credit.bench.flink;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** IP addresses and CIDR ranges, as workloads/fraud-detector/rules/ip.ts reads them. */
final class Ip {
  private Ip() {}

  static final BigInteger V4 = BigInteger.valueOf(4);
  static final BigInteger V6 = BigInteger.valueOf(6);

  static BigInteger parseV4(String text) {
    long v = 0;
    int groups = 0;
    int digits = 0;
    int n = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i == text.length() ? '.' : text.charAt(i);
      if (c == '.') {
        if (digits == 0 || n > 255 || ++groups > 4) return null;
        v = v * 256 + n;
        digits = 0;
        n = 0;
      } else if (c >= '0' && c <= '9' && digits < 3) {
        n = n * 10 + (c - '0');
        digits++;
      } else return null;
    }
    return groups == 4 ? BigInteger.valueOf(v) : null;
  }

  static BigInteger parseV6(String text) {
    if (!text.matches("^[0-9a-fA-F:.]+$")) return null;
    List<String> groups;
    int dbl = text.indexOf("::");
    if (dbl >= 0) {
      if (text.indexOf("::", dbl + 1) >= 0) return null;
      String h = text.substring(0, dbl);
      String t = text.substring(dbl + 2);
      List<String> head = h.isEmpty() ? List.of() : Arrays.asList(h.split(":", -1));
      List<String> tail = t.isEmpty() ? List.of() : Arrays.asList(t.split(":", -1));
      boolean v4tail = !tail.isEmpty() && tail.get(tail.size() - 1).contains(".");
      int missing = 8 - head.size() - tail.size() - (v4tail ? 1 : 0);
      if (missing < 1) return null;
      groups = new ArrayList<>(head);
      for (int i = 0; i < missing; i++) groups.add("0");
      groups.addAll(tail);
    } else {
      groups = Arrays.asList(text.split(":", -1));
    }
    BigInteger v = BigInteger.ZERO;
    int count = 0;
    for (int i = 0; i < groups.size(); i++) {
      String g = groups.get(i);
      if (g.contains(".")) {
        if (i != groups.size() - 1) return null;
        BigInteger v4 = parseV4(g);
        if (v4 == null) return null;
        v = v.shiftLeft(32).or(v4);
        count += 2;
      } else {
        if (!g.matches("^[0-9a-fA-F]{1,4}$")) return null;
        v = v.shiftLeft(16).or(BigInteger.valueOf(Integer.parseInt(g, 16)));
        count += 1;
      }
    }
    return count == 8 ? v : null;
  }

  /** {version, value}, or null. */
  static BigInteger[] parse(String text) {
    BigInteger v4 = parseV4(text);
    if (v4 != null) return new BigInteger[] {V4, v4};
    BigInteger v6 = parseV6(text);
    return v6 == null ? null : new BigInteger[] {V6, v6};
  }

  /** {version, mask, base} of `10.0.0.0/8`, `2001:db8::/32` or a single address, or null. */
  static BigInteger[] cidr(String text) {
    String[] parts = text.trim().split("/", -1);
    if (parts.length > 2) return null;
    BigInteger[] ip = parse(parts[0]);
    if (ip == null) return null;
    int width = ip[0].equals(V4) ? 32 : 128;
    if (parts.length == 2 && !parts[1].matches("^[0-9]{1,3}$")) return null;
    int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : width;
    if (bits > width) return null;
    BigInteger all = BigInteger.ONE.shiftLeft(width).subtract(BigInteger.ONE);
    BigInteger mask = bits == 0 ? BigInteger.ZERO : all.shiftRight(width - bits).shiftLeft(width - bits);
    return new BigInteger[] {ip[0], mask, ip[1].and(mask)};
  }
}
