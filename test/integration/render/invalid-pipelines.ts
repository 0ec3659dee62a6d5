/** Invalid CreditPipelines: schema violations and one case per CEL rule of the CRD. */

export interface InvalidPipeline {
  what: string;
  spec: unknown;
  /** metadata.name (random when unset). */
  name?: string;
  /** Other top-level fields. */
  extra?: Record<string, unknown>;
}

const strimzi = { strimziCluster: 'kafka' };
const rule = (kind: string, fields: Record<string, unknown>) => ({
  id: 'r1',
  version: 1,
  kind,
  severity: 'high',
  reasonCode: 'R1',
  mode: 'live',
  ...fields,
});
const inlineRules = (...rules: unknown[]) => ({
  kafka: strimzi,
  fraudDetector: { rules: { inline: { version: 'v1', rules } } },
});

export const INVALID_PIPELINES: InvalidPipeline[] = [
  // CEL rules
  {
    what: 'Strimzi and external Kafka at once',
    spec: { kafka: { strimziCluster: 'k', bootstrapServers: 'b:9092' } },
  },
  { what: 'no Kafka cluster at all', spec: { kafka: {} } },
  { what: 'Strimzi topics without a Strimzi cluster', spec: { kafka: { bootstrapServers: 'b:9092' } } },
  {
    what: 'external TLS Kafka without an auth Secret',
    spec: { kafka: { bootstrapServers: 'b:9093', tls: true, topicManagement: 'direct' } },
  },
  { what: 'SASL without an auth Secret', spec: { kafka: { strimziCluster: 'k', sasl: 'plain' } } },
  {
    what: 'topic deletion in Strimzi mode',
    spec: { kafka: { strimziCluster: 'k', deletionPolicy: 'Delete' } },
  },
  { what: 'a retention that is not a duration', spec: { kafka: strimzi, topics: { retention: 'forever' } } },
  { what: 'a zero retention', spec: { kafka: strimzi, topics: { retention: '0s' } } },
  {
    what: 'more in-sync replicas than replicas',
    spec: { kafka: strimzi, topics: { replicas: 1, minInSyncReplicas: 2 } },
  },
  { what: 'the same topic twice', spec: { kafka: strimzi, topics: { applications: 'x', alerts: 'x' } } },
  {
    what: 'the verdicts topic reusing the alerts topic',
    spec: { kafka: strimzi, topics: { verdicts: 'fraud_alerts' } },
  },
  { what: 'a cron schedule with three fields', spec: { kafka: strimzi, scoring: { schedule: '* * *' } } },
  { what: 'a scoring deadline beyond a day', spec: { kafka: strimzi, scoring: { activeDeadline: '48h' } } },
  {
    what: 'more detectors than partitions',
    spec: { kafka: strimzi, topics: { partitions: 2 }, fraudDetector: { replicas: 3 } },
  },
  {
    what: 'more decision-service replicas than partitions',
    spec: { kafka: strimzi, topics: { partitions: 2 }, decisions: { replicas: 3 } },
  },
  {
    what: 'requests above limits',
    spec: { kafka: strimzi, ingestionApi: { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } } },
  },
  {
    what: 'a CPU request that is not a quantity (and the rule comparing it)',
    spec: { kafka: strimzi, warehouseLoader: { resources: { requests: { cpu: 'lots' } } } },
  },
  {
    what: 'a volume size that is not a quantity',
    spec: { kafka: strimzi, storage: { postgres: { managed: { size: 'ten gigs' } } } },
  },
  {
    what: 'managed and external PostgreSQL',
    spec: { kafka: strimzi, storage: { postgres: { managed: {}, external: { secretRef: { name: 'db' } } } } },
  },
  {
    what: 'managed and external Mongo-wire store',
    spec: { kafka: strimzi, storage: { mongo: { managed: {}, external: { secretRef: { name: 'db' } } } } },
  },
  {
    what: 'inline rules and a rules ConfigMap',
    spec: {
      kafka: strimzi,
      fraudDetector: { rules: { inline: { version: 'v1', rules: [] }, configMapRef: { name: 'r' } } },
    },
  },
  {
    what: 'a velocity rule without its window',
    spec: inlineRules(rule('velocity', { key: 'deviceId', threshold: 3 })),
  },
  {
    what: 'a distinctCount rule without its field',
    spec: inlineRules(rule('distinctCount', { key: 'deviceId', window: '1h', threshold: 3 })),
  },
  { what: 'an expression rule without its expression', spec: inlineRules(rule('expression', {})) },
  {
    what: 'a list rule without its match',
    spec: inlineRules(rule('list', { field: 'email', values: ['x'] })),
  },
  {
    what: 'a challenger named like the champion',
    spec: {
      kafka: strimzi,
      scoring: { model: { name: 'm1' }, challenger: { name: 'm1', configMapRef: { name: 'c' } } },
    },
  },
  {
    what: 'an unsigned json webhook',
    spec: { kafka: strimzi, alerting: { webhooks: [{ name: 'team', url: 'https://hooks.example.com/x' }] } },
  },
  {
    what: 'a webhook timeout that is not a duration, and one too long',
    spec: {
      kafka: strimzi,
      alerting: {
        webhooks: [
          { name: 'a', url: 'https://hooks.example.com/a', format: 'slack', timeout: 'soon' },
          { name: 'b', url: 'https://hooks.example.com/b', format: 'slack', timeout: '90s' },
        ],
      },
    },
  },
  {
    what: 'an event-time horizon beyond 30 days',
    spec: { kafka: strimzi, fraudDetector: { eventTimeHorizon: '1000h' } },
  },
  { what: 'a clock skew beyond a day', spec: { kafka: strimzi, ingestionApi: { maxClockSkew: '25h' } } },
  {
    what: 'a batch decision fallback beyond a day',
    spec: { kafka: strimzi, decisions: { batchFallbackAfter: '25h' } },
  },
  {
    what: 'a scrape interval beyond 10 minutes',
    spec: { kafka: strimzi, monitoring: { scrapeInterval: '11m' } },
  },
  {
    what: 'alert thresholds of zero',
    spec: {
      kafka: strimzi,
      monitoring: {
        alerts: {
          dlqRatioThreshold: 0,
          e2eLatencyP99Seconds: 0,
          fraudAlertRateFactor: 0,
          psiThreshold: 0,
          rulePrecisionFloor: 0,
        },
      },
    },
  },
  {
    what: 'a Grafana datasource for an external warehouse',
    spec: {
      kafka: strimzi,
      storage: { postgres: { external: { secretRef: { name: 'db' } } } },
      monitoring: { grafanaDatasource: true },
    },
  },
  {
    what: 'a name too long for its children',
    name: 'a-pipeline-name-that-is-far-too-long',
    spec: { kafka: strimzi },
  },
  { what: 'a name that is not a DNS subdomain', name: 'Bad.Name-', spec: { kafka: strimzi } },

  // OpenAPI schema
  { what: 'no spec', spec: undefined },
  { what: 'no Kafka section (required)', spec: { topics: { partitions: 3 } } },
  {
    what: 'an unknown topic management (enum; CEL rules then skipped)',
    spec: { kafka: { strimziCluster: 'k', topicManagement: 'manual' }, topics: { partitions: 1 } },
  },
  {
    what: 'malformed bootstrap servers (pattern)',
    spec: { kafka: { bootstrapServers: 'no port here', topicManagement: 'direct' } },
  },
  { what: 'detector replicas above the maximum', spec: { kafka: strimzi, fraudDetector: { replicas: 100 } } },
  { what: 'no ingestion replicas (minimum)', spec: { kafka: strimzi, ingestionApi: { replicas: 0 } } },
  { what: 'partitions given as a word (type)', spec: { kafka: strimzi, topics: { partitions: 'six' } } },
  { what: 'a cluster name given as a number (type)', spec: { kafka: { strimziCluster: 5 } } },
  { what: 'a cluster name longer than 63 (maxLength)', spec: { kafka: { strimziCluster: 'k'.repeat(64) } } },
  { what: 'an empty cluster name (minLength, pattern)', spec: { kafka: { strimziCluster: '' } } },
  {
    what: 'nine pull Secrets (maxItems)',
    spec: {
      kafka: strimzi,
      images: { pullSecrets: Array.from({ length: 9 }, (_, i) => ({ name: `s${i}` })) },
    },
  },
  {
    what: 'seventeen monitoring labels (maxProperties)',
    spec: {
      kafka: strimzi,
      monitoring: { labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'x'])) },
    },
  },
  {
    what: 'two webhooks with one name (list-type map)',
    spec: {
      kafka: strimzi,
      alerting: {
        webhooks: [
          { name: 'chat', url: 'https://hooks.example.com/a', format: 'slack' },
          { name: 'chat', url: 'https://hooks.example.com/b', format: 'slack' },
        ],
      },
    },
  },
  {
    what: 'an inline rule of an unknown kind',
    spec: inlineRules({
      id: 'x',
      version: 1,
      kind: 'magic',
      severity: 'high',
      reasonCode: 'X1',
      mode: 'live',
    }),
  },
  {
    what: 'a precision floor above 1 (maximum of a number)',
    spec: { kafka: strimzi, monitoring: { alerts: { rulePrecisionFloor: 1.5 } } },
  },
  {
    what: 'an alert window that is not a Prometheus duration',
    spec: { kafka: strimzi, monitoring: { alerts: { consumerLagFor: '10 minutes' } } },
  },
  {
    what: 'undeclared fields (strict field validation)',
    spec: { kafka: { ...strimzi, brokers: 3 }, extra: true },
  },
];
