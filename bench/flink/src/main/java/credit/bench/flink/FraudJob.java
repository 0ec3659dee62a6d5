package credit.bench.flink;

import java.io.File;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Flink reference of bench/fraud-detector's backlog section: the detector's default rule set on a
 * Flink 2.2.1 DataStream job (local mini-cluster, heap state, no checkpoints, object reuse), reading
 * the applications topic from the earliest offsets up to the latest offsets at start (a bounded drain)
 * and writing alerts to a topic.
 *
 * <pre>
 * KafkaSource → Prepare (parse; expression and list rules → alerts; one record per window key)
 *             → keyBy(keyPath|key) → WindowRules (sorted per-key state; velocity, distinctCount)
 * alerts of both → KafkaSink
 * </pre>
 *
 * Prints one line {@code FLINK_RESULT {...}} with the applications read, the alerts written, the time
 * the first application was read and the time the job finished (ms since the epoch), so the caller
 * can time processing without the JVM's and the mini-cluster's start-up.
 *
 * <p>Arguments: {@code --brokers host:port --topic t --alerts-topic a --rules rules.json
 * [--parallelism 2] [--group id]}.
 */
public final class FraudJob {
  private FraudJob() {}

  /** Set by the first application read (the mini-cluster runs in this JVM: one static for all subtasks). */
  static final AtomicLong FIRST_RECORD_MS = new AtomicLong();
  static final AtomicLong LAST_RECORD_MS = new AtomicLong();
  static final LongAdder APPLICATIONS = new LongAdder();
  static final LongAdder ALERTS = new LongAdder();

  public static void main(String[] args) throws Exception {
    String brokers = arg(args, "--brokers", null);
    String topic = arg(args, "--topic", null);
    String alertsTopic = arg(args, "--alerts-topic", null);
    String rulesFile = arg(args, "--rules", null);
    int parallelism = Integer.parseInt(arg(args, "--parallelism", "2"));
    String group = arg(args, "--group", "flink-fraud-reference-" + System.currentTimeMillis());
    if (brokers == null || topic == null || alertsTopic == null || rulesFile == null) {
      System.err.println("usage: FraudJob --brokers B --topic T --alerts-topic A --rules FILE [--parallelism N]");
      System.exit(2);
    }
    Rules rules = Rules.from(new ObjectMapper().readTree(new File(rulesFile)));

    Configuration conf = new Configuration();
    conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    conf.set(PipelineOptions.OBJECT_REUSE, true);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);

    Properties consumer = new Properties();
    consumer.setProperty("commit.offsets.on.checkpoint", "false");
    KafkaSource<String> source = KafkaSource.<String>builder()
        .setBootstrapServers(brokers)
        .setTopics(topic)
        .setGroupId(group)
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.latest())
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setProperties(consumer)
        .build();

    SingleOutputStreamOperator<KeyedApp> keyed = env
        .fromSource(source, WatermarkStrategy.noWatermarks(), "applications")
        .process(new Prepare(rules))
        .name("parse + per-application rules + window keys");
    DataStream<String> eventAlerts = keyed.getSideOutput(Prepare.ALERTS);
    DataStream<String> windowAlerts = keyed
        .keyBy(k -> k.key)
        .process(new WindowRules(rules))
        .name("window rules");

    Properties producer = new Properties();
    producer.setProperty("linger.ms", "5");
    KafkaSink<String> sink = KafkaSink.<String>builder()
        .setBootstrapServers(brokers)
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(KafkaRecordSerializationSchema.builder()
            .setTopic(alertsTopic)
            .setValueSerializationSchema(new SimpleStringSchema())
            .build())
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
    eventAlerts.union(windowAlerts).sinkTo(sink).name("alerts");

    long submitted = System.currentTimeMillis();
    JobExecutionResult result = env.execute("fraud-detector reference (default rules)");
    long end = System.currentTimeMillis();
    System.out.println("FLINK_RESULT {\"applications\":" + APPLICATIONS.sum()
        + ",\"alerts\":" + ALERTS.sum()
        + ",\"submittedMs\":" + submitted
        + ",\"firstRecordMs\":" + FIRST_RECORD_MS.get()
        + ",\"lastRecordMs\":" + LAST_RECORD_MS.get()
        + ",\"endMs\":" + end
        + ",\"netRuntimeMs\":" + result.getNetRuntime()
        + ",\"parallelism\":" + parallelism + "}");
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return args[i + 1];
    return fallback;
  }

  /** The alert as JSON (the fields the bench reads; eventTime is the window time). */
  static String alert(String applicationId, String ruleId, int ruleVersion, String kind, String mode, long eventTime) {
    StringBuilder b = new StringBuilder(200);
    b.append("{\"alertId\":\"").append(applicationId).append(':').append(ruleId).append(':').append(ruleVersion)
        .append("\",\"applicationId\":\"").append(applicationId)
        .append("\",\"ruleId\":\"").append(ruleId)
        .append("\",\"ruleVersion\":").append(ruleVersion)
        .append(",\"ruleKind\":\"").append(kind)
        .append("\",\"mode\":\"").append(mode)
        .append("\",\"eventTime\":\"").append(Instant.ofEpochMilli(eventTime))
        .append("\"}");
    return b.toString();
  }

  static void published(long lastMs) {
    LAST_RECORD_MS.accumulateAndGet(lastMs, Math::max);
  }
}
