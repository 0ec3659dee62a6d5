/**
 * Leader election on the real API server: two operator processes share one Lease; exactly one
 * leads (and reconciles); when the leader is SIGKILLed the other takes over within the lease
 * duration; a leader stopped with SIGTERM releases the Lease so the takeover is immediate.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import {
  adminClient,
  counterSum,
  createNamespace,
  kubectl,
  kubectlOk,
  kubeInfo,
  type OperatorProcess,
  startOperator,
  uniqueName,
  waitCrdsEstablished,
  waitFor,
} from './support.ts';

const ns = uniqueName('op-leader');
const client = adminClient();
const LEASE = 'credit-operator-leader-test';
const LEASE_SECONDS = 6;
const running: OperatorProcess[] = [];

interface Lease {
  spec: { holderIdentity?: string | null; leaseTransitions?: number };
}

async function holder(): Promise<string | undefined> {
  const l = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${LEASE}`);
  return l.spec.holderIdentity ?? undefined;
}

async function isLeader(op: OperatorProcess): Promise<boolean> {
  return counterSum(await op.metrics(), 'credit_operator_leader') === 1;
}

function start(identity: string): Promise<OperatorProcess> {
  return startOperator(`operator-${ns}-${identity}`, {
    KUBECONFIG: kubeInfo().kube.kubeconfig,
    WATCH_NAMESPACES: ns,
    LEASE_NAMESPACE: ns,
    LEASE_NAME: LEASE,
    POD_NAME: identity,
    LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
    RENEW_DEADLINE_SECONDS: '4',
    RETRY_PERIOD_SECONDS: '1',
    READINESS_MODE: 'applied',
  }).then((op) => {
    running.push(op);
    return op;
  });
}

async function pipelineReconciled(name: string): Promise<boolean> {
  const cp = await client.get<CreditPipeline>(
    `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines/${name}`,
  );
  return (cp.status?.conditions?.length ?? 0) > 0;
}

function createPipeline(name: string): void {
  kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({
      apiVersion: 'creditplatform.dev/v1alpha1',
      kind: 'CreditPipeline',
      metadata: { name, namespace: ns },
      spec: {
        kafka: { strimziCluster: 'kafka' },
        monitoring: { serviceMonitor: false, prometheusRule: false },
      },
    }),
  );
}

beforeAll(() => {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
  waitCrdsEstablished(['creditpipelines.creditplatform.dev']);
  createNamespace(ns);
});

afterAll(async () => {
  await Promise.all(running.map((op) => op.stop('SIGKILL')));
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('leader election', () => {
  it('elects exactly one of two operators; the other takes over within the lease duration after SIGKILL', async () => {
    const a = await start('op-a');
    const b = await start('op-b');
    const leaderId = await waitFor('a leader', async () => holder().catch(() => undefined), 30_000);
    const [leader, standby] = leaderId === 'op-a' ? [a, b] : [b, a];
    await waitFor('leader metric', () => isLeader(leader), 10_000);
    // Several renewals later, still exactly one leader.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await isLeader(leader)).toBe(true);
    expect(await isLeader(standby)).toBe(false);
    expect(await holder()).toBe(leaderId);
    // Both are ready (warm caches), only the leader reconciles.
    expect(await standby.ready()).toBe(true);
    createPipeline('first');
    await waitFor('leader reconciles', () => pipelineReconciled('first'), 30_000);
    expect(counterSum(await standby.metrics(), 'credit_operator_reconciles_total')).toBe(0);

    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await waitFor('standby leads', () => isLeader(standby), (LEASE_SECONDS + 15) * 1000, 100);
    const takeoverMs = Date.now() - killedAt;
    expect(await holder()).not.toBe(leaderId);
    // After the lease expires, not a second lease later: the lease duration + one retry period and the
    // observation delay of client-go's rule, plus slack for a loaded machine.
    expect(takeoverMs).toBeLessThan((LEASE_SECONDS + 4) * 1000);
    createPipeline('second');
    await waitFor('new leader reconciles', () => pipelineReconciled('second'), 30_000);
    process.stderr.write(
      `[leader test] takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_SECONDS} s)\n`,
    );
  }, 120_000);

  it('releases the Lease on SIGTERM so a standby takes over at once', async () => {
    const current = running.find(
      (op) => op.child.exitCode === null && op.child.signalCode === null,
    ) as OperatorProcess;
    const c = await start('op-c');
    await waitFor('op-c ready', () => c.ready(), 30_000);
    expect(await isLeader(c)).toBe(false);
    const stoppedAt = Date.now();
    expect(await current.stop('SIGTERM')).toBe(0);
    await waitFor('op-c leads', () => isLeader(c), 10_000, 100);
    const ms = Date.now() - stoppedAt;
    expect(ms).toBeLessThan(LEASE_SECONDS * 1000);
    expect(await holder()).toBe('op-c');
  }, 60_000);
});
