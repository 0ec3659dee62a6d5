package credit.bench.flink;

/**
 * One application under one window key (what the detector's repartition topic carries): a Flink POJO
 * (public fields, no-argument constructor), so the keyBy exchange uses Flink's PojoSerializer.
 */
public class KeyedApp {
  /** {@code <keyPath>|<key value>}. */
  public String key;
  /** Index of the key group in {@link Rules#groups}. */
  public int group;
  public String applicationId;
  /** Window time: min(submittedAt, receivedAt), ms. */
  public long windowTime;
  /** Receipt time, ms (the state's clock for expiry). */
  public long received;
  /** The values of the group's counted fields (null when absent), in {@code fieldPaths} order. */
  public String[] values;

  public KeyedApp() {}
}
