/**
 * Shared set-up of the fraud-operations tests (cases and alert delivery): alert messages as the fraud
 * detector writes them, a topic of one's own, applications loaded into the warehouse, and the
 * Kubernetes identities (service accounts, `cases` Roles) the cases service authenticates and
 * authorises against on the harness's real API server.
 */
import { randomUUID } from 'node:crypto';
import type { FraudAlert } from '../../../api/alert.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import type { Pool } from '../../../workloads/warehouse/db.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../../workloads/warehouse-loader/rows.ts';
import { writeBatch } from '../../../workloads/warehouse-loader/writer.ts';
import {
  createNamespace,
  kubectl,
  kubectlOk,
  serviceAccountKubeconfig,
  waitFor,
} from '../operator/support.ts';
import {
  createTopics,
  groupBehind,
  type KafkaConnection,
  produce as produceRecords,
  testKafka,
  withAdmin,
} from '../support/kafka.ts';
import { kafkaBrokers } from '../warehouse/support.ts';

export { waitFor };

export function kafkaClient(clientId = 'cases-test'): KafkaConnection {
  return testKafka(clientId, kafkaBrokers());
}

export async function createAlertsTopic(
  kafka: KafkaConnection,
  prefix: string,
  partitions = 3,
): Promise<string> {
  const topic = `${prefix}_alerts_${randomUUID().slice(0, 8)}`;
  await createTopics(kafka, [{ topic, numPartitions: partitions }]);
  return topic;
}

/** An alert exactly as the detector produces it (customerId included: consumers must not keep it). */
export function detectorAlert(
  applicationId: string,
  ruleId: string,
  over: Partial<FraudAlert> = {},
): FraudAlert {
  const now = new Date();
  return {
    alertId: `${applicationId}:${ruleId}:1`,
    applicationId,
    customerId: 'C-PERSONAL-0001',
    ruleId,
    ruleVersion: 1,
    ruleKind: 'velocity',
    ruleSetVersion: 'test-1',
    severity: 'high',
    reasonCode: ruleId.toUpperCase().replaceAll('-', '_'),
    mode: 'live',
    eventTime: new Date(now.getTime() - 1000).toISOString(),
    detectedAt: now.toISOString(),
    evidence: { kind: 'velocity', keyField: 'nationalIdHash', threshold: 3, windowMs: 3_600_000, count: 3 },
    ...over,
  };
}

export async function produce(
  kafka: KafkaConnection,
  topic: string,
  alerts: ReadonlyArray<FraudAlert | string>,
): Promise<void> {
  await produceRecords(
    kafka,
    topic,
    alerts.map((a) =>
      typeof a === 'string'
        ? { key: 'bad', value: a }
        : {
            key: a.applicationId,
            value: JSON.stringify(a),
            headers: { 'content-type': 'application/json' },
          },
    ),
    alerts.length,
  );
}

/** Loads applications into the warehouse through the loader's own writer. */
export async function loadApplications(pool: Pool, apps: readonly ApplicationEvent[]): Promise<void> {
  await writeBatch(
    pool,
    {
      groupId: 'test',
      topic: `apps_${randomUUID().slice(0, 8)}`,
      partition: 0,
      kind: 'applications',
      fetchedOffset: '0',
      messages: apps.map((a, i) => ({ offset: String(i), key: null, value: Buffer.from(JSON.stringify(a)) })),
    },
    { applications: parseApplicationMessage, alerts: parseAlertMessage },
  );
}

export interface CaseIdentities {
  namespace: string;
  /** Kubeconfig of the service's own ServiceAccount (system:auth-delegator only). */
  serviceKubeconfig: string;
  tokens: { analyst: string; lead: string; outsider: string };
  users: { analyst: string; lead: string; outsider: string };
  cleanup(): void;
}

/**
 * A namespace with the roles a lender would grant: `case-analyst` (get, list, update, resolve) and
 * `case-lead` (plus assign) on resource `cases` of group creditplatform.dev; an outsider with none.
 */
export function createCaseIdentities(namespace: string): CaseIdentities {
  createNamespace(namespace);
  const sa = (name: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  const role = (name: string, verbs: string[]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules: [{ apiGroups: ['creditplatform.dev'], resources: ['cases'], verbs }],
  });
  const binding = (name: string, roleName: string, subject: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: subject, namespace }],
  });
  const delegator = `${namespace}-cases-auth-delegator`;
  const items = [
    sa('cases-service'),
    sa('analyst'),
    sa('lead'),
    sa('outsider'),
    role('case-analyst', ['get', 'list', 'update', 'resolve']),
    role('case-lead', ['get', 'list', 'update', 'resolve', 'assign']),
    binding('analyst', 'case-analyst', 'analyst'),
    binding('lead', 'case-lead', 'lead'),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: delegator },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'cases-service', namespace }],
    },
  ];
  kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const token = (name: string) =>
    kubectlOk(['create', 'token', name, '-n', namespace, '--duration=1h']).trim();
  const user = (name: string) => `system:serviceaccount:${namespace}:${name}`;
  return {
    namespace,
    serviceKubeconfig: serviceAccountKubeconfig(namespace, 'cases-service'),
    tokens: { analyst: token('analyst'), lead: token('lead'), outsider: token('outsider') },
    users: { analyst: user('analyst'), lead: user('lead'), outsider: user('outsider') },
    cleanup() {
      kubectl(['delete', 'clusterrolebinding', delegator, '--ignore-not-found', '--wait=false']);
      kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
    },
  };
}

/** Resolves once `groupId` has committed offsets at the end of every partition of `topic`. */
export async function waitForGroupCaughtUp(
  kafka: KafkaConnection,
  groupId: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<void> {
  await withAdmin(kafka, (admin) =>
    waitFor(
      `consumer group ${groupId} to reach the end of ${topic}`,
      async () => ((await groupBehind(admin, groupId, topic)) === 0n ? true : undefined),
      timeoutMs,
    ),
  );
}
