package credit.bench.flink;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The detector's source stage: parses an application, runs the per-application rules (expression,
 * list; alerts to the side output) and emits one {@link KeyedApp} per window key group it has a key
 * for (the detector's repartition step). An application whose window time is beyond the event-time
 * horizon is not given to the window rules (none in generated traffic). An unparseable message is
 * counted and skipped (the detector would dead-letter it; none in generated traffic).
 */
public final class Prepare extends ProcessFunction<String, KeyedApp> {
  private static final long serialVersionUID = 1L;
  static final OutputTag<String> ALERTS = new OutputTag<String>("event-alerts") {};
  private static final String[] APPLICATION_ID = {"applicationId"};
  private static final String[] SUBMITTED_AT = {"submittedAt"};
  private static final String[] RECEIVED_AT = {"receivedAt"};

  private final Rules rules;
  private transient ObjectMapper mapper;
  private transient KeyedApp out;
  private transient boolean first;
  private transient long count;
  private transient long alerts;
  private transient long last;

  public Prepare(Rules rules) {
    this.rules = rules;
  }

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    mapper = new ObjectMapper();
    out = new KeyedApp();
    first = true;
  }

  @Override
  public void processElement(String value, Context ctx, Collector<KeyedApp> collector) throws Exception {
    if (first) {
      first = false;
      FraudJob.FIRST_RECORD_MS.compareAndSet(0, System.currentTimeMillis());
    }
    count++;
    JsonNode e;
    try {
      e = mapper.readTree(value);
    } catch (Exception bad) {
      return;
    }
    String id = Rules.valueString(Rules.read(e, APPLICATION_ID));
    long submitted = Rules.parseTime(Rules.valueString(Rules.read(e, SUBMITTED_AT)));
    JsonNode r = Rules.read(e, RECEIVED_AT);
    long received = r == null ? submitted : Rules.parseTime(Rules.valueString(r));
    if (id == null || submitted == Long.MIN_VALUE || received == Long.MIN_VALUE) return;
    long window = Math.min(submitted, received);

    for (Rules.EventRule rule : rules.eventRules) {
      if (rule.test.test(e)) {
        alerts++;
        ctx.output(ALERTS, FraudJob.alert(id, rule.id, rule.version, rule.kind, rule.mode, window));
      }
    }
    if (received - window > rules.horizonMs) return;
    for (int g = 0; g < rules.groups.size(); g++) {
      Rules.KeyGroup group = rules.groups.get(g);
      String key = Rules.keyString(Rules.read(e, group.keyParts));
      if (key == null) continue;
      String[] values = new String[group.fieldPaths.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = Rules.valueString(Rules.read(e, group.fieldParts.get(i)));
      }
      out.key = group.keyPath + "|" + key;
      out.group = g;
      out.applicationId = id;
      out.windowTime = window;
      out.received = received;
      out.values = values;
      collector.collect(out);
    }
    last = System.currentTimeMillis();
  }

  @Override
  public void close() {
    FraudJob.APPLICATIONS.add(count);
    FraudJob.ALERTS.add(alerts);
    FraudJob.published(last);
  }
}
