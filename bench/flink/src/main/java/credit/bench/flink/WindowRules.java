package credit.bench.flink;

import java.util.ArrayList;
import java.util.HashMap;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The window rules of one key (workloads/fraud-detector/core/windows.ts, ported): the key's
 * applications in window-time order (then by application id), each with its counted values and a mark
 * per rule already alerted. On each arrival, every unmarked entry within one window of the new one is
 * re-evaluated: it is flagged when some window of the rule's length [s, s + W] (bounds inclusive)
 * containing its window time holds ≥ threshold entries (velocity) or distinct values (distinctCount).
 * So every member of a burst is flagged, whatever the arrival order. Duplicates (an application id
 * already in the key's state) are ignored. Entries below the subtask's receipt clock − allowedLateness
 * − horizon − the key's longest window are dropped, and at most maxEntriesPerKey kept (the newest by
 * window time), as in the detector.
 */
public final class WindowRules extends KeyedProcessFunction<String, KeyedApp, String> {
  private static final long serialVersionUID = 1L;

  /** One application in a key's state. */
  public static final class Entry {
    public long t;
    public String id;
    public String[] values;
    public int marks;
  }

  private final Rules rules;
  private transient ValueState<ArrayList<Entry>> state;
  private transient HashMap<String, Integer> counts;
  private transient long clock;
  private transient long alerts;
  private transient long last;

  public WindowRules(Rules rules) {
    this.rules = rules;
  }

  @Override
  public void open(OpenContext context) {
    state = getRuntimeContext().getState(
        new ValueStateDescriptor<>("entries", TypeInformation.of(new TypeHint<ArrayList<Entry>>() {})));
    counts = new HashMap<>();
    clock = Long.MIN_VALUE;
  }

  @Override
  public void processElement(KeyedApp in, Context ctx, Collector<String> out) throws Exception {
    ArrayList<Entry> list = state.value();
    if (list == null) list = new ArrayList<>(4);
    else {
      for (Entry x : list) if (x.id.equals(in.applicationId)) return; // duplicate
    }
    if (in.received > clock) clock = in.received;
    Entry e = new Entry();
    e.t = in.windowTime;
    e.id = in.applicationId;
    // The input object is reused (object reuse); its array is kept, so copied.
    e.values = in.values.clone();
    int i = list.size();
    while (i > 0 && !before(list.get(i - 1), e)) i--;
    list.add(i, e);

    Rules.KeyGroup group = rules.groups.get(in.group);
    long t = e.t;
    for (int r = 0; r < group.rules.size(); r++) {
      Rules.WindowRule rule = group.rules.get(r);
      int bit = 1 << r;
      for (int k = 0; k < list.size(); k++) {
        Entry x = list.get(k);
        if (x.t < t - rule.windowMs) continue;
        if (x.t > t + rule.windowMs) break;
        if ((x.marks & bit) != 0) continue;
        if (bestWindow(list, x.t, rule.windowMs, rule.field) < rule.threshold) continue;
        x.marks |= bit;
        alerts++;
        out.collect(FraudJob.alert(x.id, rule.id, rule.version, rule.kind, rule.mode, x.t));
      }
    }

    long floor = clock - rules.allowedLatenessMs - rules.horizonMs - group.maxWindowMs;
    int dead = 0;
    while (dead < list.size() && list.get(dead).t < floor) dead++;
    int drop = dead + Math.max(0, list.size() - dead - rules.maxEntriesPerKey);
    if (drop > 0) list.subList(0, drop).clear();
    if (list.isEmpty()) state.clear();
    else state.update(list);
    last = System.currentTimeMillis();
  }

  /** Window time, then application id. */
  private static boolean before(Entry a, Entry b) {
    if (a.t != b.t) return a.t < b.t;
    return a.id.compareTo(b.id) <= 0;
  }

  /**
   * The largest count (field −1) or number of distinct values of the field over the windows
   * [s, s + W] that contain tE, s running over the entries' times (two pointers).
   */
  private int bestWindow(ArrayList<Entry> list, long tE, long w, int field) {
    int n = list.size();
    int lo = 0;
    while (lo < n && list.get(lo).t < tE - w) lo++;
    int best = 0;
    if (field >= 0) counts.clear();
    int k = lo;
    for (int i = lo; i < n; i++) {
      long start = list.get(i).t;
      if (start > tE) break;
      while (k < n && list.get(k).t <= start + w) {
        if (field >= 0) {
          String v = list.get(k).values[field];
          if (v != null) counts.merge(v, 1, Integer::sum);
        }
        k++;
      }
      int value = field < 0 ? k - i : counts.size();
      if (value > best) best = value;
      if (field >= 0) {
        String v = list.get(i).values[field];
        if (v != null) {
          int c = counts.get(v) - 1;
          if (c <= 0) counts.remove(v);
          else counts.put(v, c);
        }
      }
    }
    return best;
  }

  @Override
  public void close() {
    FraudJob.ALERTS.add(alerts);
    FraudJob.published(last);
  }
}
