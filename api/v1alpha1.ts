/**
 * The `CreditPipeline` API, version v1alpha1, written once.
 *
 * From these TypeBox schemas come the TypeScript types the operator and the cdk8s constructs use,
 * and the CRD's `openAPIV3Schema` (see cdk8s/generate-crd.ts). Defaults (`default:`) and CEL rules
 * (`x-kubernetes-validations`) live here, next to the fields they guard, so the API server, the
 * operator and the workloads agree by construction.
 *
 * Fields with a default are `required` in the schema: the API server applies defaults before it
 * validates, so a user never has to write them, and the operator always reads them. Parent objects
 * whose fields all have defaults carry `default: {}` so defaulting reaches every level.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StringEnum } from '../lib/string-enum.ts';
import { AlertThresholdsSpec } from './alert-thresholds.ts';
import { GO_DURATION_PATTERN } from './duration.ts';
import { FraudRuleSet, MODES, SEVERITIES } from './fraud-rules.ts';
import { DEFAULT_TOPICS } from './topics.ts';

export const GROUP = 'creditplatform.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CreditPipeline';
export const LIST_KIND = 'CreditPipelineList';
export const PLURAL = 'creditpipelines';
export const SINGULAR = 'creditpipeline';
export const SHORT_NAMES = ['cpl'] as const;
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Label put on every child object: `creditplatform.dev/pipeline: <CreditPipeline name>`. */
export const PIPELINE_LABEL = `${GROUP}/pipeline`;

/** Condition types the operator reports in `status.conditions`. */
export const CONDITION_TYPES = [
  'Ready',
  'Progressing',
  'Degraded',
  'TopicsReady',
  'StorageReady',
  'DetectorReady',
  'ScoringReady',
  'MonitoringReady',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Building blocks

type CelRule = { rule: string; message: string; reason?: string; fieldPath?: string };
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

const Duration = (description: string, dflt: string, max = '87600h') =>
  Type.String({
    description: `${description} A Go duration such as 30s, 15m or 168h.`,
    default: dflt,
    maxLength: 32,
    ...cel(
      {
        rule: `self.matches(r'${GO_DURATION_PATTERN}')`,
        message: 'must be a duration such as 30s, 15m or 168h',
        reason: 'FieldValueInvalid',
      },
      {
        rule: `!self.matches(r'${GO_DURATION_PATTERN}') || (duration(self) > duration('0s') && duration(self) <= duration('${max}'))`,
        message: `must be greater than 0 and at most ${max}`,
        reason: 'FieldValueInvalid',
      },
    ),
  });

/**
 * Five-field cron expression (minute hour day-of-month month day-of-week) with `*`, numbers,
 * ranges, steps and lists, or one of the @hourly/@daily/@weekly/@monthly/@yearly macros.
 */
const CRON_FIELD = '(\\*|[0-9]{1,2}(-[0-9]{1,2})?)(/[0-9]{1,2})?(,([0-9]{1,2}(-[0-9]{1,2})?)(/[0-9]{1,2})?)*';
const CRON_MONTH_OR_DOW = `(${CRON_FIELD}|[A-Za-z]{3}(-[A-Za-z]{3})?)`;
export const CRON_PATTERN = `^(@(hourly|daily|midnight|weekly|monthly|yearly|annually)|${CRON_FIELD} ${CRON_FIELD} ${CRON_FIELD} ${CRON_MONTH_OR_DOW} ${CRON_MONTH_OR_DOW})$`;

/** A Kubernetes resource quantity such as `250m`, `512Mi`, `10Gi`. */
const Quantity = (description: string, dflt?: string) =>
  Type.String({
    description,
    maxLength: 32,
    ...(dflt === undefined ? {} : { default: dflt }),
    ...cel({
      rule: 'isQuantity(self)',
      message: 'must be a Kubernetes quantity such as 250m, 512Mi or 10Gi',
      reason: 'FieldValueInvalid',
    }),
  });

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const ObjectName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN });

export const LocalObjectReference = Type.Object(
  { name: ObjectName('Name of the object in the CreditPipeline namespace.') },
  { description: 'Reference to an object in the same namespace.', additionalProperties: false },
);

const KeyRef = (what: string, defaultKey: string) =>
  Type.Object(
    {
      name: ObjectName(`Name of the ${what} in the CreditPipeline namespace.`),
      key: Type.String({
        description: `Key inside the ${what}.`,
        default: defaultKey,
        minLength: 1,
        maxLength: 253,
        pattern: '^[-._a-zA-Z0-9]+$',
      }),
    },
    { description: `Reference to a key of a ${what} in the same namespace.`, additionalProperties: false },
  );

export const ConfigMapKeyRef = (defaultKey: string) => KeyRef('ConfigMap', defaultKey);
export const SecretKeyRef = (defaultKey: string) => KeyRef('Secret', defaultKey);

/**
 * Ephemeral storage of every container, unless a component says otherwise: the writable layer, the
 * container's logs and its emptyDir volumes (a 64Mi /tmp, PostgreSQL's 16Mi socket directory) all
 * count against it, so a container that writes without bound is evicted alone instead of its
 * neighbours.
 */
export const DEFAULT_EPHEMERAL_STORAGE = { request: '64Mi', limit: '256Mi' } as const;

/** Container resources; the defaults fit the laptop-sized demo. */
export const Resources = (
  requests: { cpu: string; memory: string; ephemeralStorage?: string },
  limits: { cpu: string; memory: string; ephemeralStorage?: string },
) =>
  Type.Object(
    {
      requests: Type.Object(
        {
          cpu: Quantity('CPU request.', requests.cpu),
          memory: Quantity('Memory request.', requests.memory),
          ephemeralStorage: Quantity(
            'Ephemeral-storage request (writable layer, logs and emptyDir volumes).',
            requests.ephemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE.request,
          ),
        },
        { default: {}, additionalProperties: false, description: 'Resources the scheduler reserves.' },
      ),
      limits: Type.Object(
        {
          cpu: Quantity('CPU limit.', limits.cpu),
          memory: Quantity('Memory limit.', limits.memory),
          ephemeralStorage: Quantity(
            'Ephemeral-storage limit: beyond it the kubelet evicts this pod (and only this pod).',
            limits.ephemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE.limit,
          ),
        },
        { default: {}, additionalProperties: false, description: 'Hard caps enforced by the kubelet.' },
      ),
    },
    {
      default: {},
      additionalProperties: false,
      description:
        'Container requests and limits (every pod has both, for CPU, memory and ephemeral storage).',
      ...cel({
        rule: 'quantity(self.requests.cpu).compareTo(quantity(self.limits.cpu)) <= 0 && quantity(self.requests.memory).compareTo(quantity(self.limits.memory)) <= 0 && quantity(self.requests.ephemeralStorage).compareTo(quantity(self.limits.ephemeralStorage)) <= 0',
        message: 'requests must not exceed limits',
        reason: 'FieldValueInvalid',
      }),
    },
  );
export type Resources = Static<ReturnType<typeof Resources>>;

const Replicas = (description: string, dflt: number, min: number, max: number) =>
  Type.Integer({ description, default: dflt, minimum: min, maximum: max, format: 'int32' });

// ---------------------------------------------------------------------------------------------
// spec.kafka

export const TOPIC_MANAGEMENT = ['strimzi', 'direct'] as const;
export const TOPIC_DELETION_POLICIES = ['Retain', 'Delete'] as const;
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const KafkaSpec = Type.Object(
  {
    strimziCluster: Type.Optional(
      Type.String({
        description:
          'Name of a Strimzi `Kafka` resource in the same namespace. Exactly one of strimziCluster and bootstrapServers is set.',
        minLength: 1,
        maxLength: 63,
        pattern: DNS_LABEL,
      }),
    ),
    bootstrapServers: Type.Optional(
      Type.String({
        description:
          'Comma-separated host:port list of an external Kafka cluster. Exactly one of strimziCluster and bootstrapServers is set.',
        minLength: 1,
        maxLength: 1024,
        pattern: '^[^,\\s]+:[0-9]{1,5}(,[^,\\s]+:[0-9]{1,5})*$',
      }),
    ),
    tls: Type.Boolean({
      description: 'Connect with TLS. With external bootstrapServers, authSecretRef must be set.',
      default: false,
    }),
    sasl: Type.Optional(
      StringEnum(SASL_MECHANISMS, {
        description: 'SASL mechanism; the username and password come from authSecretRef.',
      }),
    ),
    authSecretRef: Type.Optional(
      Type.Object(
        { name: ObjectName('Name of the Secret in the CreditPipeline namespace.') },
        {
          description:
            'Secret with the client credentials: keys `username` and `password` (SASL) and/or `ca.crt`, `tls.crt`, `tls.key` (TLS).',
          additionalProperties: false,
        },
      ),
    ),
    topicManagement: StringEnum(TOPIC_MANAGEMENT, {
      description:
        '`strimzi`: topics are KafkaTopic resources handled by the Strimzi topic operator (needs strimziCluster). `direct`: the operator creates topics through the Kafka admin API.',
      default: 'strimzi',
    }),
    deletionPolicy: StringEnum(TOPIC_DELETION_POLICIES, {
      description:
        'What happens to topics created in `direct` mode when the CreditPipeline is deleted: `Retain` keeps them, `Delete` removes them (the operator then holds a finalizer).',
      default: 'Retain',
    }),
  },
  {
    description: 'Where the pipeline’s Kafka is and how its topics are managed.',
    additionalProperties: false,
    ...cel(
      {
        rule: 'has(self.strimziCluster) != has(self.bootstrapServers)',
        message: 'exactly one of strimziCluster and bootstrapServers must be set',
        reason: 'FieldValueInvalid',
      },
      {
        rule: "self.topicManagement != 'strimzi' || has(self.strimziCluster)",
        message:
          'topicManagement strimzi requires strimziCluster; use topicManagement: direct with bootstrapServers',
        reason: 'FieldValueInvalid',
        fieldPath: '.topicManagement',
      },
      {
        rule: '!has(self.bootstrapServers) || !(self.tls || has(self.sasl)) || has(self.authSecretRef)',
        message: 'external bootstrapServers with tls or sasl requires authSecretRef',
        reason: 'FieldValueRequired',
        fieldPath: '.authSecretRef',
      },
      {
        rule: '!has(self.sasl) || has(self.authSecretRef)',
        message: 'sasl requires authSecretRef with username and password',
        reason: 'FieldValueRequired',
        fieldPath: '.authSecretRef',
      },
      {
        rule: "self.deletionPolicy == 'Retain' || self.topicManagement == 'direct'",
        message:
          'deletionPolicy Delete applies only to topicManagement: direct (Strimzi deletes a topic with its KafkaTopic)',
        reason: 'FieldValueInvalid',
        fieldPath: '.deletionPolicy',
      },
      {
        rule: '!has(oldSelf.strimziCluster) || (has(self.strimziCluster) && self.strimziCluster == oldSelf.strimziCluster)',
        message: 'strimziCluster is immutable: topics cannot move between Kafka clusters',
        reason: 'FieldValueForbidden',
        fieldPath: '.strimziCluster',
      },
    ),
  },
);
export type KafkaSpec = Static<typeof KafkaSpec>;

// ---------------------------------------------------------------------------------------------
// spec.topics

const TopicName = (description: string, dflt: string) =>
  Type.String({ description, default: dflt, minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$' });

export const TopicsSpec = Type.Object(
  {
    applications: TopicName('Topic of validated, pseudonymized applications.', DEFAULT_TOPICS.applications),
    deadLetter: TopicName(
      'Dead-letter topic for invalid applications, with the reason.',
      DEFAULT_TOPICS.deadLetter,
    ),
    alerts: TopicName('Topic of fraud alerts.', DEFAULT_TOPICS.alerts),
    verdicts: TopicName(
      'Topic of the fraud detector’s verdict on every application it checked, alerts or none (same partitions as applications).',
      DEFAULT_TOPICS.verdicts,
    ),
    decisions: TopicName('Topic of issued credit decisions.', DEFAULT_TOPICS.decisions),
    partitions: Replicas('Partitions of each topic; bounds the consumers that share the work.', 6, 1, 1000),
    replicas: Replicas('Replication factor of each topic.', 1, 1, 7),
    minInSyncReplicas: Replicas('min.insync.replicas of each topic.', 1, 1, 7),
    retention: Duration('How long Kafka keeps records (retention.ms).', '168h'),
  },
  {
    default: {},
    description: 'The pipeline’s topics.',
    additionalProperties: false,
    ...cel(
      {
        rule: 'self.minInSyncReplicas <= self.replicas',
        message: 'minInSyncReplicas must not exceed replicas',
        reason: 'FieldValueInvalid',
        fieldPath: '.minInSyncReplicas',
      },
      {
        rule: 'self.applications != self.deadLetter && self.applications != self.alerts && self.deadLetter != self.alerts',
        message: 'applications, deadLetter and alerts must be three different topics',
        reason: 'FieldValueInvalid',
      },
      {
        rule: '!(self.verdicts in [self.applications, self.deadLetter, self.alerts, self.decisions]) && !(self.decisions in [self.applications, self.deadLetter, self.alerts])',
        message: 'verdicts and decisions must be topics of their own',
        reason: 'FieldValueInvalid',
      },
      {
        rule: 'self.partitions >= oldSelf.partitions',
        message: 'partitions can only grow: Kafka cannot remove partitions',
        reason: 'FieldValueForbidden',
        fieldPath: '.partitions',
      },
    ),
  },
);
export type TopicsSpec = Static<typeof TopicsSpec>;

// ---------------------------------------------------------------------------------------------
// workloads

export const IngestionApiSpec = Type.Object(
  {
    replicas: Replicas('Ingestion API replicas.', 2, 1, 50),
    resources: Resources({ cpu: '100m', memory: '128Mi' }, { cpu: '500m', memory: '256Mi' }),
    maxClockSkew: Duration(
      'How far a submittedAt may be ahead of the server’s clock; later ones are refused with 400 (MAX_CLOCK_SKEW_MS).',
      '5m',
      '24h',
    ),
  },
  { default: {}, additionalProperties: false, description: 'The HTTP ingestion API.' },
);
export type IngestionApiSpec = Static<typeof IngestionApiSpec>;

/**
 * Inline fraud rules: the fraud detector's own rule-set schema (api/fraud-rules.ts),
 * embedded so the API server checks the rule format (including its per-kind CEL rules) at admission.
 */
export const InlineFraudRules = FraudRuleSet;

export const FraudRulesSpec = Type.Object(
  {
    inline: Type.Optional(InlineFraudRules),
    configMapRef: Type.Optional(ConfigMapKeyRef('rules.json')),
  },
  {
    default: {},
    additionalProperties: false,
    description: 'Fraud rules: inline, from a ConfigMap, or (neither set) the detector’s built-in rules.',
    ...cel({
      rule: '!(has(self.inline) && has(self.configMapRef))',
      message: 'set at most one of rules.inline and rules.configMapRef',
      reason: 'FieldValueInvalid',
    }),
  },
);
export type FraudRulesSpec = Static<typeof FraudRulesSpec>;

export const FraudDetectorSpec = Type.Object(
  {
    replicas: Replicas(
      'Fraud detector replicas (the scale subresource); at most topics.partitions.',
      2,
      0,
      64,
    ),
    resources: Resources({ cpu: '100m', memory: '192Mi' }, { cpu: '1', memory: '512Mi' }),
    rules: FraudRulesSpec,
    eventTimeHorizon: Duration(
      'How long before its receipt an application may have been submitted and still be evaluated by the window rules (out-of-order and batch uploads); window state is kept that long. Older ones get the per-application rules only and are recorded on the dead-letter topic (EVENT_TIME_HORIZON_MS).',
      '24h',
      '720h',
    ),
  },
  { default: {}, additionalProperties: false, description: 'The streaming fraud detector.' },
);
export type FraudDetectorSpec = Static<typeof FraudDetectorSpec>;

export const WarehouseLoaderSpec = Type.Object(
  {
    replicas: Replicas('Warehouse loader replicas.', 1, 1, 16),
    resources: Resources({ cpu: '100m', memory: '128Mi' }, { cpu: '500m', memory: '384Mi' }),
  },
  { default: {}, additionalProperties: false, description: 'Loads Kafka topics into PostgreSQL.' },
);
export type WarehouseLoaderSpec = Static<typeof WarehouseLoaderSpec>;

export const DecisionsSpec = Type.Object(
  {
    replicas: Replicas(
      'Decision service replicas (each holds a share of the partitions); at most topics.partitions. 0 turns stream decisions off (the scoring CronJob then issues them).',
      1,
      0,
      64,
    ),
    batchFallbackAfter: Duration(
      'While the decision service is enabled (replicas > 0) the scoring CronJob issues no first decision as long as a decision service runs, and when none runs (down, restarting) only for applications loaded at least this long ago: what the stream could not decide. With replicas 0 the CronJob decides everything.',
      '10m',
      '24h',
    ),
    resources: Resources({ cpu: '100m', memory: '128Mi' }, { cpu: '1', memory: '384Mi' }),
  },
  {
    default: {},
    additionalProperties: false,
    description:
      'The decision service: decides every application in the stream (the fraud detector’s verdict joined with the application, scored by the champion of spec.scoring.model) and issues the decision record.',
  },
);
export type DecisionsSpec = Static<typeof DecisionsSpec>;

/** A scorecard model: a name for people, and the ConfigMap key holding it (or the scorer's built-in). */
const ModelRef = (name: { description: string; default?: string }, description: string, dflt?: object) =>
  Type.Object(
    {
      name: Type.String({ ...name, minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9._-]+$' }),
      configMapRef: Type.Optional(ConfigMapKeyRef('model.yaml')),
    },
    { ...(dflt === undefined ? {} : { default: dflt }), additionalProperties: false, description },
  );

export const ModelSpec = ModelRef(
  {
    description:
      'Name of the champion model, for people reading the spec (scores record the id and version written in the model file).',
    default: 'retail-scorecard-1.0.0',
  },
  'The champion scorecard model: from a ConfigMap key (YAML or JSON), or (configMapRef unset) the scorer’s built-in model.',
  {},
);
export type ModelSpec = Static<typeof ModelSpec>;

export const ChallengerSpec = ModelRef(
  { description: 'Name of the challenger model, for people reading the spec.' },
  'A challenger model scored in shadow next to the champion; it never decides. From a ConfigMap key, or (configMapRef unset) the scorer’s built-in challenger. No challenger when unset.',
);
export type ChallengerSpec = Static<typeof ChallengerSpec>;

export const ScoringSpec = Type.Object(
  {
    schedule: Type.String({
      description: 'Cron schedule of the scoring run (five fields, or @hourly, @daily, ...).',
      default: '*/15 * * * *',
      maxLength: 128,
      ...cel({
        rule: `self.matches(r'${CRON_PATTERN}')`,
        message: 'must be a cron schedule with five fields (e.g. */15 * * * *) or a macro such as @hourly',
        reason: 'FieldValueInvalid',
      }),
    }),
    timeZone: Type.Optional(
      Type.String({
        description:
          'IANA time zone of the schedule (e.g. Europe/Paris); the controller-manager’s zone if unset.',
        maxLength: 64,
        pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$',
      }),
    ),
    parallelism: Replicas('Indexed Job completions run in parallel; each index scores one shard.', 2, 1, 32),
    activeDeadline: Duration('How long one scoring run may take before it is stopped.', '30m', '24h'),
    suspend: Type.Boolean({ description: 'Pause scheduled scoring only.', default: false }),
    resources: Resources({ cpu: '100m', memory: '128Mi' }, { cpu: '1', memory: '512Mi' }),
    model: ModelSpec,
    challenger: Type.Optional(ChallengerSpec),
  },
  {
    default: {},
    additionalProperties: false,
    description: 'Batch credit-risk scoring.',
    ...cel({
      rule: '!has(self.challenger) || self.challenger.name != self.model.name',
      message: 'challenger.name must differ from model.name',
      reason: 'FieldValueInvalid',
      fieldPath: '.challenger.name',
    }),
  },
);
export type ScoringSpec = Static<typeof ScoringSpec>;

// ---------------------------------------------------------------------------------------------
// spec.storage

/** Default user and group of each managed store (see StoreSecurityContext). */
export const STORE_DEFAULT_IDS = {
  /** The `postgres` user of the official Alpine image (its data directory must be owned by it). */
  postgres: { uid: 70, gid: 70 },
  /** FerretDB runs as any user: a high id, its volume made group-writable through fsGroup. */
  mongo: { uid: 10001, gid: 10001 },
} as const;

const NumericId = (description: string, dflt: number) =>
  Type.Integer({ description, default: dflt, minimum: 1, maximum: 2147483647, format: 'int64' });

/**
 * User, group and volume group a managed store runs as. FerretDB defaults to a high id (10001): it
 * runs as any user, and fsGroup makes its volume group-writable (the kubelet also re-groups a volume
 * written by the image's former id 1000). PostgreSQL defaults to the image's own id 70: it refuses a
 * data directory owned by another user or open to its group beyond 0750, so fsGroup cannot hand an
 * existing volume to a new uid, and its initdb needs the user in /etc/passwd (faked through
 * nss_wrapper by the Debian-based images, not by the default Alpine one). A cluster policy that wants
 * ids >= 10000 for PostgreSQL sets all three here, with a Debian-based image, when the pipeline is
 * created (the fresh volume is then written by that user).
 */
const StoreSecurityContext = (what: string, ids: { uid: number; gid: number }) =>
  Type.Object(
    {
      runAsUser: NumericId(`User id the ${what} container runs as.`, ids.uid),
      runAsGroup: NumericId(`Primary group id of the ${what} container.`, ids.gid),
      fsGroup: NumericId(`Group that owns the ${what} volume (kubelet sets it on mount).`, ids.gid),
    },
    {
      default: {},
      additionalProperties: false,
      description: `User and group ids of the ${what} pod (default ${ids.uid}:${ids.gid}, fsGroup ${ids.gid}). Before changing the user of an existing volume, chown its files (PostgreSQL requires it).`,
    },
  );

const ManagedStore = (
  what: string,
  size: string,
  res: Parameters<typeof Resources>,
  ids: { uid: number; gid: number },
) =>
  Type.Object(
    {
      size: Quantity(`Size of the ${what} volume; may grow, never shrink.`, size),
      storageClassName: Type.Optional(
        Type.String({
          description: `StorageClass of the ${what} volume (cluster default if unset). Immutable.`,
          minLength: 1,
          maxLength: 253,
          pattern: DNS_SUBDOMAIN,
        }),
      ),
      resources: Resources(...res),
      securityContext: StoreSecurityContext(what, ids),
    },
    {
      // No `default: {}` here: it would make `managed` appear next to `external`.
      additionalProperties: false,
      description: `A ${what} StatefulSet managed by the operator, with a PVC template and a headless Service.`,
      ...cel(
        {
          rule: 'has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)',
          message: 'storageClassName is immutable',
          reason: 'FieldValueForbidden',
          fieldPath: '.storageClassName',
        },
        {
          rule: 'quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0',
          message: 'size may grow but never shrink',
          reason: 'FieldValueForbidden',
          fieldPath: '.size',
        },
      ),
    },
  );

/** `host:port` (an IPv6 host in brackets). */
const HOST_PORT_PATTERN = '^([^,\\s:\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$';

const ExternalStore = (what: string, key: string) =>
  Type.Object(
    {
      secretRef: SecretKeyRef(key),
      endpoint: Type.Optional(
        Type.String({
          description: `host:port the ${what} URL points at, for the NetworkPolicies only (the URL itself stays in the Secret). An IP address becomes an ipBlock of that address; a host name can only be matched by port (policies see addresses, not names), so add its addresses to network.externalCidrs to narrow it. Unset: the default port, to any address.`,
          maxLength: 261,
          pattern: HOST_PORT_PATTERN,
        }),
      ),
    },
    {
      additionalProperties: false,
      description: `An external ${what}; its connection URL is read from a Secret key.`,
    },
  );

const Store = (
  what: string,
  size: string,
  res: Parameters<typeof Resources>,
  ids: { uid: number; gid: number },
) =>
  Type.Object(
    {
      managed: Type.Optional(ManagedStore(what, size, res, ids)),
      external: Type.Optional(ExternalStore(what, 'url')),
    },
    {
      default: { managed: {} },
      additionalProperties: false,
      description: `Where ${what} runs: managed by the operator, or external. Exactly one is set.`,
      ...cel(
        {
          rule: 'has(self.managed) != has(self.external)',
          message: 'exactly one of managed and external must be set',
          reason: 'FieldValueInvalid',
        },
        {
          rule: 'has(self.managed) == has(oldSelf.managed)',
          message:
            'cannot switch between managed and external storage; migrate the data and create a new pipeline',
          reason: 'FieldValueForbidden',
        },
      ),
    },
  );

export const StorageSpec = Type.Object(
  {
    postgres: Store(
      'PostgreSQL',
      '10Gi',
      [
        { cpu: '100m', memory: '256Mi' },
        { cpu: '1', memory: '1Gi' },
      ],
      STORE_DEFAULT_IDS.postgres,
    ),
    mongo: Store(
      'MongoDB-wire (FerretDB)',
      '5Gi',
      [
        { cpu: '100m', memory: '128Mi' },
        { cpu: '500m', memory: '512Mi' },
      ],
      STORE_DEFAULT_IDS.mongo,
    ),
  },
  {
    default: {},
    additionalProperties: false,
    description: 'The warehouse (PostgreSQL) and the alert store (MongoDB wire protocol).',
  },
);
export type StorageSpec = Static<typeof StorageSpec>;
export type ManagedStoreSpec = NonNullable<StorageSpec['postgres']['managed']>;

// ---------------------------------------------------------------------------------------------
// spec.alerting, spec.cases (fraud operations)

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;

export const WebhookSpec = Type.Object(
  {
    name: Type.String({
      description: 'Unique name of the endpoint (metrics label, outbox key).',
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL,
    }),
    url: Type.String({
      description: 'Where alerts are POSTed.',
      minLength: 8,
      maxLength: 2048,
      pattern: '^https?://[^\\s]+$',
    }),
    format: StringEnum(WEBHOOK_FORMATS, {
      description: 'json: the platform’s signed alert JSON; slack: a Slack incoming-webhook message.',
      default: 'json',
    }),
    severities: Type.Optional(
      Type.Array(StringEnum(SEVERITIES), {
        description: 'Only alerts of these severities (default: all).',
        minItems: 1,
        maxItems: 4,
      }),
    ),
    rules: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        description: 'Only alerts of these rule ids (default: all).',
        minItems: 1,
        maxItems: 64,
      }),
    ),
    modes: Type.Array(StringEnum(MODES), {
      description: 'Rule modes delivered (default: live only).',
      default: ['live'],
      minItems: 1,
      maxItems: 2,
    }),
    signingKeySecretRef: Type.Optional(SecretKeyRef('key')),
    timeout: Duration('Per-attempt timeout.', '5s', '60s'),
  },
  {
    additionalProperties: false,
    description:
      'A webhook endpoint. Each alert is POSTed with an Idempotency-Key (the alert id) and, when a key is set, an X-Credit-Signature header (HMAC-SHA-256 over timestamp + body).',
    ...cel({
      rule: "self.format == 'slack' || has(self.signingKeySecretRef)",
      message: 'json webhooks are signed: set signingKeySecretRef (a key of at least 16 characters)',
      reason: 'FieldValueRequired',
      fieldPath: '.signingKeySecretRef',
    }),
  },
);
export type WebhookSpec = Static<typeof WebhookSpec>;

export const AlertingSpec = Type.Object(
  {
    webhooks: Type.Array(WebhookSpec, {
      description: 'Endpoints that receive fraud alerts; none: no delivery process is deployed.',
      default: [],
      maxItems: 16,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    maxAttempts: Type.Integer({
      description: 'Attempts per alert and endpoint before it is dead-lettered.',
      default: 10,
      minimum: 1,
      maximum: 100,
      format: 'int32',
    }),
    resources: Resources({ cpu: '50m', memory: '96Mi' }, { cpu: '250m', memory: '256Mi' }),
  },
  {
    default: {},
    additionalProperties: false,
    description: 'Delivery of fraud alerts to people: signed webhooks, retried with back-off, dead-lettered.',
  },
);
export type AlertingSpec = Static<typeof AlertingSpec>;

export const CasesSpec = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        'Deploy the case queue (API and analysts’ page, Service <pipeline>-cases). Analysts need RBAC verbs on resource `cases` of creditplatform.dev (get, list, update, resolve; leads also assign).',
      default: false,
    }),
    replicas: Replicas('Cases service replicas.', 1, 1, 10),
    resources: Resources({ cpu: '50m', memory: '128Mi' }, { cpu: '500m', memory: '256Mi' }),
  },
  { default: {}, additionalProperties: false, description: 'The fraud analysts’ case queue.' },
);
export type CasesSpec = Static<typeof CasesSpec>;

// ---------------------------------------------------------------------------------------------
// spec.network

const Cidr = Type.String({
  description: 'An IPv4 or IPv6 CIDR such as 10.0.0.0/16 or 2001:db8::/64.',
  maxLength: 64,
  pattern: '^([0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9A-Fa-f:]+/[0-9]{1,3})$',
});
const CidrList = (description: string, dflt: string[] = []) =>
  Type.Array(Cidr, { description, default: dflt, maxItems: 32 });

/** Private address ranges (RFC 1918, RFC 6598 shared space, IPv6 ULA): where in-cluster API servers live. */
export const PRIVATE_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];
const PortList = (description: string, dflt: number[]) =>
  Type.Array(Type.Integer({ minimum: 1, maximum: 65535, format: 'int32' }), {
    description,
    default: dflt,
    minItems: 1,
    maxItems: 8,
  });

export const NetworkSpec = Type.Object(
  {
    dnsNamespace: Type.String({
      description: 'Namespace of the cluster DNS pods every workload may query (UDP and TCP 53).',
      default: 'kube-system',
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL,
    }),
    apiServer: Type.Object(
      {
        cidrs: CidrList(
          'Addresses of the API server endpoints (`kubectl get endpoints kubernetes`). Default: the private ranges, where most control planes answer; a control plane with a public endpoint needs its address here. Empty: any address on the ports.',
          PRIVATE_CIDRS,
        ),
        ports: PortList(
          'API server ports: 443 (the kubernetes Service) and the endpoint port policies see after address translation (6443 on most control planes).',
          [443, 6443],
        ),
      },
      {
        default: {},
        additionalProperties: false,
        description: 'Where the cases service reaches the API server (TokenReview, SubjectAccessReview).',
      },
    ),
    kafkaBrokerCidrs: CidrList(
      'With external bootstrapServers: the brokers’ addresses. Clients connect to the addresses the brokers advertise, not only to the bootstrap list; the bootstrap list’s IP addresses are allowed anyway, host names only by port unless these are set.',
    ),
    externalCidrs: CidrList(
      'Addresses of the external stores and webhook hosts given by name: with any set, name-only endpoints are allowed to these addresses only (on their ports) instead of to any address.',
    ),
    metricsNamespace: Type.Optional(
      Type.String({
        description:
          'Namespace of the Prometheus that scrapes the workloads. Unset: the metrics ports are open to pods of any namespace.',
        minLength: 1,
        maxLength: 63,
        pattern: DNS_LABEL,
      }),
    ),
  },
  {
    default: {},
    additionalProperties: false,
    description:
      'Endpoints the NetworkPolicies (networkPolicies: true) need besides those the spec already names (Kafka, stores, webhooks).',
  },
);
export type NetworkSpec = Static<typeof NetworkSpec>;

// ---------------------------------------------------------------------------------------------
// spec.scheduling

export const POD_ANTI_AFFINITY = ['preferred', 'required', 'none'] as const;
export const WHEN_UNSATISFIABLE = ['ScheduleAnyway', 'DoNotSchedule'] as const;

export const SchedulingSpec = Type.Object(
  {
    podAntiAffinity: StringEnum(POD_ANTI_AFFINITY, {
      description:
        'Host anti-affinity of the replicas of each Deployment (ingestion API, detector, loader, cases, delivery) on kubernetes.io/hostname: `preferred` spreads them over nodes when it can, `required` never puts two on one node (a Deployment then needs as many nodes as replicas, plus one for a rolling update), `none` leaves placement to the scheduler.',
      default: 'preferred',
    }),
    topologySpread: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Add the topology spread constraint.', default: true }),
        topologyKey: Type.String({
          description: 'Node label whose values the replicas are spread over.',
          default: 'topology.kubernetes.io/zone',
          minLength: 1,
          maxLength: 317,
        }),
        maxSkew: Replicas('Largest allowed difference of replicas between two domains.', 1, 1, 100),
        whenUnsatisfiable: StringEnum(WHEN_UNSATISFIABLE, {
          description: '`ScheduleAnyway` prefers spreading; `DoNotSchedule` enforces it.',
          default: 'ScheduleAnyway',
        }),
      },
      {
        default: {},
        additionalProperties: false,
        description:
          'A topology spread constraint on the pods of each Deployment (by default: over zones, soft).',
      },
    ),
  },
  {
    default: {},
    additionalProperties: false,
    description:
      'Where the replicas of the pipeline’s Deployments go. Rendered on every Deployment whatever its replica count, so scaling does not roll the pods; a PodDisruptionBudget (maxUnavailable 1) is added when a Deployment has more than one replica.',
  },
);
export type SchedulingSpec = Static<typeof SchedulingSpec>;

// ---------------------------------------------------------------------------------------------
// spec.monitoring, spec.images

const LabelMap = (description: string) =>
  Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63 }), {
    description,
    default: {},
    maxProperties: 16,
  });

export const MonitoringSpec = Type.Object(
  {
    serviceMonitor: Type.Boolean({
      description: 'Create ServiceMonitors for the workloads (needs the prometheus-operator CRDs).',
      default: true,
    }),
    prometheusRule: Type.Boolean({
      description: 'Create a PrometheusRule with the pipeline’s alerts (needs the prometheus-operator CRDs).',
      default: true,
    }),
    dashboards: Type.Boolean({ description: 'Create Grafana dashboard ConfigMaps.', default: true }),
    labels: LabelMap(
      'Extra labels on ServiceMonitors and PrometheusRules, e.g. `release: kube-prometheus-stack` for the stack’s selector.',
    ),
    dashboardLabelKey: Type.String({
      description: 'Label the Grafana sidecar selects dashboard ConfigMaps by.',
      default: 'grafana_dashboard',
      minLength: 1,
      maxLength: 317,
    }),
    dashboardLabelValue: Type.String({
      description: 'Value of dashboardLabelKey.',
      default: '1',
      maxLength: 63,
    }),
    grafanaDatasource: Type.Boolean({
      description:
        'Create a Grafana PostgreSQL datasource for the managed warehouse (what the Credit risk and Platform health dashboards read): a Secret labelled datasourceLabelKey for the Grafana sidecar, connecting as a read-only role (credit_reader) that the migration Job keeps, and a NetworkPolicy rule letting Grafana pods reach PostgreSQL. Needs managed PostgreSQL.',
      default: false,
    }),
    datasourceLabelKey: Type.String({
      description: 'Label the Grafana sidecar selects datasource Secrets by.',
      default: 'grafana_datasource',
      minLength: 1,
      maxLength: 317,
    }),
    datasourceLabelValue: Type.String({
      description: 'Value of datasourceLabelKey.',
      default: '1',
      maxLength: 63,
    }),
    scrapeInterval: Duration('Scrape interval of the ServiceMonitors.', '30s', '10m'),
    alerts: AlertThresholdsSpec,
  },
  { default: {}, additionalProperties: false, description: 'Prometheus and Grafana integration.' },
);
export type MonitoringSpec = Static<typeof MonitoringSpec>;

const ImageRef = (description: string, dflt: string) =>
  Type.String({ description, default: dflt, minLength: 1, maxLength: 512, pattern: '^[^\\s]+$' });

export const ImagesSpec = Type.Object(
  {
    platform: Type.Optional(
      Type.String({
        description:
          'Repository of the platform image (every workload runs it with a subcommand). Unset: the operator’s own image, so the pipeline follows the operator’s version.',
        minLength: 1,
        maxLength: 512,
        pattern: '^[^\\s]+$',
      }),
    ),
    version: Type.Optional(
      Type.String({
        description: 'Tag of the platform image when platform is set (the operator’s tag if unset).',
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
      }),
    ),
    postgres: ImageRef(
      'PostgreSQL image of the managed warehouse.',
      'docker.io/library/postgres:17.6-alpine',
    ),
    ferretdb: ImageRef('FerretDB image of the managed alert store.', 'ghcr.io/ferretdb/ferretdb:1.24.0'),
    pullPolicy: StringEnum(['Always', 'IfNotPresent', 'Never'] as const, {
      description: 'Image pull policy of every container.',
      default: 'IfNotPresent',
    }),
    pullSecrets: Type.Array(LocalObjectReference, {
      description: 'Image pull Secrets for every pod.',
      default: [],
      maxItems: 8,
    }),
  },
  { default: {}, additionalProperties: false, description: 'Images and versions.' },
);
export type ImagesSpec = Static<typeof ImagesSpec>;

// ---------------------------------------------------------------------------------------------
// The CreditPipeline

export const CreditPipelineSpec = Type.Object(
  {
    suspend: Type.Boolean({
      description:
        'Stop reconciling: the operator leaves the children as they are (scheduled scoring keeps its own suspend).',
      default: false,
    }),
    kafka: KafkaSpec,
    topics: TopicsSpec,
    ingestionApi: IngestionApiSpec,
    fraudDetector: FraudDetectorSpec,
    warehouseLoader: WarehouseLoaderSpec,
    scoring: ScoringSpec,
    decisions: DecisionsSpec,
    storage: StorageSpec,
    alerting: AlertingSpec,
    cases: CasesSpec,
    monitoring: MonitoringSpec,
    scheduling: SchedulingSpec,
    networkPolicies: Type.Boolean({
      description:
        'Create NetworkPolicies: deny all ingress and egress of the pipeline’s pods, then allow only what each needs (DNS, Kafka, its stores, the API server for the cases service, webhook hosts for alert delivery, scraping). Needs a CNI that enforces egress policies and ipBlock.',
      default: true,
    }),
    network: NetworkSpec,
    images: ImagesSpec,
  },
  {
    description: 'The desired pipeline: a lender writes this and the operator makes the platform exist.',
    additionalProperties: false,
    ...cel(
      {
        rule: 'self.fraudDetector.replicas <= self.topics.partitions',
        message: 'fraudDetector.replicas must not exceed topics.partitions (extra consumers would sit idle)',
        reason: 'FieldValueInvalid',
        fieldPath: '.fraudDetector.replicas',
      },
      {
        rule: 'self.decisions.replicas <= self.topics.partitions',
        message: 'decisions.replicas must not exceed topics.partitions (extra consumers would sit idle)',
        reason: 'FieldValueInvalid',
        fieldPath: '.decisions.replicas',
      },
      {
        rule: '!self.monitoring.grafanaDatasource || has(self.storage.postgres.managed)',
        message:
          'monitoring.grafanaDatasource needs managed PostgreSQL; with external PostgreSQL, add the datasource to Grafana yourself',
        reason: 'FieldValueInvalid',
        fieldPath: '.monitoring.grafanaDatasource',
      },
    ),
  },
);
export type CreditPipelineSpec = Static<typeof CreditPipelineSpec>;

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** `metav1.Condition`. */
export const Condition = Type.Object(
  {
    type: Type.String({
      description: 'Type of condition in CamelCase (Ready, Progressing, Degraded, TopicsReady, ...).',
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: StringEnum(CONDITION_STATUSES, { description: 'True, False or Unknown.' }),
    observedGeneration: Type.Optional(
      Type.Integer({
        description: 'metadata.generation the condition was set for.',
        minimum: 0,
        format: 'int64',
      }),
    ),
    lastTransitionTime: Type.String({
      description: 'When the condition last changed status.',
      format: 'date-time',
    }),
    reason: Type.String({
      description: 'One CamelCase word saying why.',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({ description: 'What a person should know, possibly empty.', maxLength: 32768 }),
  },
  { additionalProperties: false, description: 'A metav1.Condition.' },
);
export type Condition = Static<typeof Condition>;

export const ScoringRunStatus = Type.Object(
  {
    time: Type.String({ description: 'When the last scoring run finished.', format: 'date-time' }),
    result: StringEnum(['Succeeded', 'Failed'] as const, { description: 'Outcome of the last scoring run.' }),
    jobName: Type.Optional(Type.String({ description: 'The Job of that run.', maxLength: 253 })),
    message: Type.Optional(Type.String({ description: 'Details, e.g. why it failed.', maxLength: 4096 })),
  },
  { additionalProperties: false, description: 'The last finished scoring run.' },
);
export type ScoringRunStatus = Static<typeof ScoringRunStatus>;

export const CreditPipelineStatus = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'metadata.generation the status reflects.', minimum: 0, format: 'int64' }),
    ),
    conditions: Type.Optional(
      Type.Array(Condition, {
        description: 'Ready, Progressing, Degraded and one condition per part.',
        maxItems: 32,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
    fraudDetector: Type.Optional(
      Type.Object(
        {
          replicas: Type.Integer({ description: 'Current detector replicas.', minimum: 0, format: 'int32' }),
          readyReplicas: Type.Integer({
            description: 'Ready detector replicas.',
            minimum: 0,
            format: 'int32',
          }),
          selector: Type.String({
            description: 'Label selector of the detector pods (for the scale subresource).',
            maxLength: 1024,
          }),
        },
        { additionalProperties: false, description: 'The fraud detector Deployment as observed.' },
      ),
    ),
    lastScoring: Type.Optional(ScoringRunStatus),
    topics: Type.Optional(
      Type.Array(Type.String({ maxLength: 249 }), { description: 'Topics that exist.', maxItems: 16 }),
    ),
  },
  { description: 'What the operator observed.', additionalProperties: false },
);
export type CreditPipelineStatus = Static<typeof CreditPipelineStatus>;

/** The subset of ObjectMeta the operator and the constructs read (the CRD leaves metadata to the API server). */
export const ObjectMeta = Type.Object({
  name: Type.String(),
  namespace: Type.Optional(Type.String()),
  uid: Type.Optional(Type.String()),
  generation: Type.Optional(Type.Integer()),
  resourceVersion: Type.Optional(Type.String()),
  creationTimestamp: Type.Optional(Type.String()),
  deletionTimestamp: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  finalizers: Type.Optional(Type.Array(Type.String())),
});
export type ObjectMeta = Static<typeof ObjectMeta>;

export const CreditPipeline = Type.Object({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal(KIND),
  metadata: ObjectMeta,
  spec: CreditPipelineSpec,
  status: Type.Optional(CreditPipelineStatus),
});
export type CreditPipeline = Static<typeof CreditPipeline>;

/** Schemas the CRD generator turns into `openAPIV3Schema` (metadata is left to the API server). */
export const crdSchemas: { spec: TSchema; status: TSchema } = {
  spec: CreditPipelineSpec,
  status: CreditPipelineStatus,
};

/**
 * The spec with the schema's defaults filled in, as the API server would store it. For tests and
 * for tools that build a CreditPipeline in code; the operator reads objects the API server defaulted.
 */
export function withSpecDefaults(spec: unknown): CreditPipelineSpec {
  return applyDefaults(CreditPipelineSpec, Value.Clone(spec ?? {})) as CreditPipelineSpec;
}

/**
 * Structural-schema defaulting as the API server does it: a property that is absent and has a
 * `default` gets a copy of it, then defaulting recurses into objects and array items. Unlike
 * TypeBox's Value.Default it never creates an optional object that has no default of its own.
 */
export function applyDefaults(schema: TSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items as TSchema | undefined;
    return items === undefined ? value : value.map((v) => applyDefaults(items, v));
  }
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const props = schema.properties as Record<string, TSchema> | undefined;
  for (const [key, prop] of Object.entries(props ?? {})) {
    if (obj[key] === undefined && prop.default !== undefined) obj[key] = Value.Clone(prop.default);
    if (obj[key] !== undefined) obj[key] = applyDefaults(prop, obj[key]);
  }
  return obj;
}

/** Validates a spec against the schema (not the CEL rules: those run in the API server). */
export function specErrors(spec: unknown): string[] {
  return [...Value.Errors(CreditPipelineSpec, spec)].map((e) => `${e.path || '/'}: ${e.message}`);
}
