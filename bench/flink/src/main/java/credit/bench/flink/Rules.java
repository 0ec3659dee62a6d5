package credit.bench.flink;

import java.io.Serializable;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;

/**
 * The rule set, as bench/flink/run.ts writes it from the detector's own compiled default rule set
 * (workloads/fraud-detector/rules/default-rules.ts): window rules with their canonical key and field
 * paths and their windows in ms, list rules with their values, expression rules with their text. The
 * expressions are hand-ported below (one Java predicate per expression text); a text without a port
 * stops the job, so the two sides cannot drift apart silently.
 */
public final class Rules implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final class WindowRule implements Serializable {
    private static final long serialVersionUID = 1L;
    public String id;
    public int version;
    public String mode;
    public String kind;
    public long windowMs;
    public int threshold;
    /** Index of the counted field in the group's values, or -1 for velocity. */
    public int field = -1;
  }

  /** Window rules sharing one key path: one keyed state per key value. */
  public static final class KeyGroup implements Serializable {
    private static final long serialVersionUID = 1L;
    public String keyPath;
    public String[] keyParts;
    public final List<WindowRule> rules = new ArrayList<>();
    public final List<String> fieldPaths = new ArrayList<>();
    public final List<String[]> fieldParts = new ArrayList<>();
    public long maxWindowMs;
  }

  public interface Test extends Serializable {
    boolean test(JsonNode event);
  }

  public static final class EventRule implements Serializable {
    private static final long serialVersionUID = 1L;
    public String id;
    public int version;
    public String mode;
    public String kind;
    public Test test;
  }

  public String version;
  public long allowedLatenessMs;
  public long horizonMs;
  public int maxEntriesPerKey;
  public final List<KeyGroup> groups = new ArrayList<>();
  public final List<EventRule> eventRules = new ArrayList<>();

  public static Rules from(JsonNode doc) {
    Rules r = new Rules();
    r.version = doc.get("version").asText();
    r.allowedLatenessMs = doc.get("allowedLatenessMs").asLong();
    r.horizonMs = doc.get("horizonMs").asLong();
    r.maxEntriesPerKey = doc.get("maxEntriesPerKey").asInt();
    Map<String, KeyGroup> groups = new LinkedHashMap<>();
    for (JsonNode w : doc.get("windowRules")) {
      String keyPath = w.get("keyPath").asText();
      KeyGroup g = groups.computeIfAbsent(keyPath, k -> {
        KeyGroup n = new KeyGroup();
        n.keyPath = k;
        n.keyParts = k.split("\\.");
        return n;
      });
      WindowRule rule = new WindowRule();
      rule.id = w.get("id").asText();
      rule.version = w.get("version").asInt();
      rule.mode = w.get("mode").asText();
      rule.kind = w.get("kind").asText();
      rule.windowMs = w.get("windowMs").asLong();
      rule.threshold = w.get("threshold").asInt();
      JsonNode field = w.get("distinctPath");
      if (field != null && !field.isNull()) {
        int i = g.fieldPaths.indexOf(field.asText());
        if (i < 0) {
          g.fieldPaths.add(field.asText());
          g.fieldParts.add(path(field.asText()));
          i = g.fieldPaths.size() - 1;
        }
        rule.field = i;
      }
      g.rules.add(rule);
      g.maxWindowMs = Math.max(g.maxWindowMs, rule.windowMs);
    }
    r.groups.addAll(groups.values());
    for (JsonNode e : doc.get("eventRules")) {
      EventRule rule = new EventRule();
      rule.id = e.get("id").asText();
      rule.version = e.get("version").asInt();
      rule.mode = e.get("mode").asText();
      rule.kind = e.get("kind").asText();
      if (rule.kind.equals("expression")) rule.test = expression(e.get("expression").asText());
      else {
        List<String> values = new ArrayList<>();
        for (JsonNode v : e.get("values")) values.add(v.asText());
        rule.test = list(e.get("match").asText(), e.get("field").asText(), values);
      }
      r.eventRules.add(rule);
    }
    return r;
  }

  // ------------------------------------------------------------------------------ fields

  /** A dotted path's node, or null when a part is missing (rules/fields.ts fieldReader). */
  public static JsonNode read(JsonNode event, String[] parts) {
    JsonNode v = event;
    for (String p : parts) {
      if (v == null || !v.isObject()) return null;
      v = v.get(p);
    }
    return v == null || v.isNull() ? null : v;
  }

  /** The value as a string key (a number as JavaScript's String(n) would compare), or null. */
  public static String valueString(JsonNode v) {
    if (v == null) return null;
    if (v.isTextual()) return v.asText();
    if (v.isNumber()) return Double.toString(v.asDouble());
    return null;
  }

  /** The state key of a key field (rules/fields.ts keyString): absent or empty gives null. */
  public static String keyString(JsonNode v) {
    String s = valueString(v);
    return s == null || s.isEmpty() ? null : s;
  }

  private static Double number(JsonNode v) {
    if (v == null || !v.isNumber()) return null;
    double d = v.asDouble();
    return Double.isFinite(d) ? d : null;
  }

  private static String text(JsonNode v) {
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static String[] path(String p) {
    return p.split("\\.");
  }

  // ------------------------------------------------------------------------------ expressions

  private static final String[] GEO_COUNTRY = path("channel.geo.country");
  private static final String[] ADDRESS_COUNTRY = path("applicant.address.country");
  private static final String[] DATE_OF_BIRTH = path("applicant.dateOfBirth");
  private static final String[] SUBMITTED_AT = path("submittedAt");
  private static final String[] ANNUAL_INCOME = path("employment.annualIncome");
  private static final String[] LOAN_AMOUNT = path("loan.amount");
  private static final String[] MONTHLY_DEBT = path("credit.monthlyDebtPayments");

  /** The hand-ported expressions of the default rule set, by their exact text. */
  static Test expression(String text) {
    switch (text) {
      case "exists(channel.geo.country) and channel.geo.country != applicant.address.country":
        return e -> {
          JsonNode geo = read(e, GEO_COUNTRY);
          if (geo == null || !(geo.isTextual() || geo.isNumber() || geo.isBoolean())) return false;
          JsonNode addr = read(e, ADDRESS_COUNTRY);
          return !geo.equals(addr);
        };
      case "ageYears(dateOfBirth, submittedAt) < 18":
        return e -> {
          Integer age = ageYears(text(read(e, DATE_OF_BIRTH)), text(read(e, SUBMITTED_AT)));
          return age != null && age < 18;
        };
      case "employment.annualIncome > 0 and loan.amount / employment.annualIncome > 5":
        return e -> {
          Double income = number(read(e, ANNUAL_INCOME));
          if (income == null || !(income > 0)) return false;
          Double amount = number(read(e, LOAN_AMOUNT));
          return amount != null && amount / income > 5;
        };
      case "employment.annualIncome > 0 and credit.monthlyDebtPayments * 12 / employment.annualIncome > 0.6":
        return e -> {
          Double income = number(read(e, ANNUAL_INCOME));
          if (income == null || !(income > 0)) return false;
          Double debt = number(read(e, MONTHLY_DEBT));
          return debt != null && debt * 12 / income > 0.6;
        };
      default:
        throw new IllegalArgumentException("no Java port of the expression: " + text);
    }
  }

  /** Whole years from a date of birth (YYYY-MM-DD...) to a moment (RFC 3339), as in rules/expression.ts. */
  static Integer ageYears(String dob, String at) {
    if (dob == null || at == null || dob.length() < 10) return null;
    for (int i : new int[] {0, 1, 2, 3, 5, 6, 8, 9}) {
      char c = dob.charAt(i);
      if (c < '0' || c > '9') return null;
    }
    if (dob.charAt(4) != '-' || dob.charAt(7) != '-') return null;
    long t = parseTime(at.length() == 10 ? at + "T00:00:00Z" : at);
    if (t == Long.MIN_VALUE) return null;
    LocalDate d = Instant.ofEpochMilli(t).atOffset(ZoneOffset.UTC).toLocalDate();
    int age = d.getYear() - Integer.parseInt(dob.substring(0, 4));
    int monthDay = d.getMonthValue() * 100 + d.getDayOfMonth();
    if (monthDay < Integer.parseInt(dob.substring(5, 7)) * 100 + Integer.parseInt(dob.substring(8, 10))) age--;
    return age;
  }

  /** An RFC 3339 time in ms since the epoch (a leap second :60 as the instant after :59), or Long.MIN_VALUE. */
  public static long parseTime(String s) {
    if (s == null) return Long.MIN_VALUE;
    try {
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return java.time.OffsetDateTime.parse(s).toInstant().toEpochMilli();
      } catch (DateTimeParseException e2) {
        return Long.MIN_VALUE;
      }
    }
  }

  // ------------------------------------------------------------------------------ lists

  static Test list(String match, String field, List<String> values) {
    String[] parts = path(field);
    boolean lower = field.equals("applicant.email");
    switch (match) {
      case "cidr": {
        List<BigInteger[]> ranges = new ArrayList<>();
        for (String v : values) {
          BigInteger[] r = Ip.cidr(v);
          if (r == null) throw new IllegalArgumentException("not a CIDR range: " + v);
          ranges.add(r);
        }
        return e -> {
          String v = text(read(e, parts));
          if (v == null) return false;
          BigInteger[] ip;
          if (v.indexOf('/') >= 0) {
            BigInteger[] r = Ip.cidr(v);
            if (r == null) return false;
            ip = new BigInteger[] {r[0], r[2]};
          } else {
            BigInteger[] a = Ip.parse(v.trim());
            if (a == null) return false;
            ip = a;
          }
          for (BigInteger[] r : ranges) {
            if (r[0].equals(ip[0]) && ip[1].and(r[1]).equals(r[2])) return true;
          }
          return false;
        };
      }
      case "emailDomain": {
        Set<String> set = lowered(values);
        return e -> {
          String v = text(read(e, parts));
          if (v == null) return false;
          if (lower) v = v.trim().toLowerCase(Locale.ROOT);
          String domain = v.substring(v.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
          String[] labels = domain.split("\\.", -1);
          for (int i = 0; i < labels.length - 1; i++) {
            if (set.contains(String.join(".", java.util.Arrays.copyOfRange(labels, i, labels.length))))
              return true;
          }
          return false;
        };
      }
      case "exact": {
        Set<String> set = lowered(values);
        return e -> {
          String v = text(read(e, parts));
          if (v == null) return false;
          return set.contains(v.trim().toLowerCase(Locale.ROOT));
        };
      }
      default:
        throw new IllegalArgumentException("unknown list match: " + match);
    }
  }

  private static Set<String> lowered(List<String> values) {
    Set<String> set = new HashSet<>();
    for (String v : values) set.add(v.trim().toLowerCase(Locale.ROOT));
    return set;
  }
}
