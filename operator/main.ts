/**
 * `credit-platform operator`: runs the CreditPipeline operator.
 *
 * Configuration comes from the environment (operator/config.ts). The process serves /metrics,
 * /healthz and /readyz (ready once the informers have listed; standby replicas are ready too, and
 * `credit_operator_leader` says which one leads), campaigns for the leader Lease, reconciles only
 * while leading, and on SIGTERM finishes the reconciles in progress and releases the Lease.
 */
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { renderPipeline } from '../cdk8s/render.ts';
import { createLogger } from '../lib/log.ts';
import { startOpsServer } from '../lib/ops-server.ts';
import { onShutdown } from '../lib/shutdown.ts';
import { DEFAULT_OPERATOR_IMAGE, loadOperatorConfig, type OperatorConfig } from './config.ts';
import { Controller } from './controller.ts';
import { loadDashboards } from './dashboards.ts';
import { KubeClient } from './kube/client.ts';
import { Discovery } from './kube/discovery.ts';
import { KubeEventRecorder } from './kube/events.ts';
import { InformerSet } from './kube/informers.ts';
import { LeaderElector } from './kube/leader.ts';
import { createMetrics } from './metrics.ts';
import { ChildApplier } from './reconcile/apply.ts';
import { FIELD_MANAGER } from './reconcile/ownership.ts';
import { ChildIndex } from './reconcile/prune.ts';
import { Reconciler } from './reconcile/reconcile.ts';
import { KafkaTopicManager } from './reconcile/topics.ts';

const HELP = `usage: credit-platform operator

Runs the CreditPipeline operator. Settings come from environment variables:
WATCH_NAMESPACES, METRICS_PORT, LEADER_ELECTION, LEASE_NAME, LEASE_NAMESPACE (or POD_NAMESPACE),
LEASE_DURATION_SECONDS, RENEW_DEADLINE_SECONDS, RETRY_PERIOD_SECONDS, POD_NAME, WORKERS,
APPLY_CONCURRENCY, OPERATOR_IMAGE, READINESS_MODE (available|applied), KUBECONFIG (else in-cluster).
`;

function kubeConfig(cfg: OperatorConfig): KubeConfig {
  const kc = new KubeConfig();
  if (cfg.kubeconfig !== '') kc.loadFromFile(cfg.kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const cfg = loadOperatorConfig();
  const log = createLogger('operator');
  const identity = cfg.identity !== '' ? cfg.identity : `${hostname()}-${process.pid}`;
  const metrics = createMetrics();
  const client = new KubeClient(kubeConfig(cfg), metrics.apiRequests);
  const discovery = new Discovery(client);
  const informers = new InformerSet(client, log, metrics.informerRestarts);
  const index = new ChildIndex();
  let controller: Controller | undefined;
  const applier = new ChildApplier(client, discovery, informers, async (info) => {
    await controller?.ensureChildInformer(info.apiVersion, info.kind, info);
  });
  let dashboards: Record<string, string> = {};
  try {
    dashboards = await loadDashboards();
  } catch (err) {
    log.warn({ err: String(err) }, 'dashboards unavailable; pipelines get no dashboard ConfigMaps');
  }
  const reconciler = new Reconciler({
    client,
    discovery,
    cache: informers,
    index,
    applier,
    recorder: new KubeEventRecorder(client, FIELD_MANAGER, identity, log),
    topics: new KafkaTopicManager(),
    render: renderPipeline,
    log,
    readinessMode: cfg.readinessMode,
    operatorImage: cfg.operatorImage !== '' ? cfg.operatorImage : DEFAULT_OPERATOR_IMAGE,
    dashboards,
    applyConcurrency: cfg.applyConcurrency,
  });
  const ctl = new Controller(
    {
      namespaces: cfg.watchNamespaces,
      workers: cfg.workers,
      retryBaseDelayMs: cfg.retryBaseDelayMs,
      retryMaxDelayMs: cfg.retryMaxDelayMs,
      capabilityPollMs: cfg.capabilityPollSeconds * 1000,
    },
    informers,
    discovery,
    index,
    applier,
    reconciler,
    metrics,
    log,
  );
  controller = ctl;

  const server = await startOpsServer(cfg.metricsPort, cfg.metricsHost, {
    registry: metrics.registry,
    readiness: () => (ctl.synced ? null : 'informers have not listed yet'),
  });
  const address = server.address();
  log.info(
    {
      port: typeof address === 'object' && address !== null ? address.port : cfg.metricsPort,
      identity,
      namespaces: cfg.watchNamespaces,
      readinessMode: cfg.readinessMode,
    },
    'operator starting',
  );

  let elector: LeaderElector | undefined;
  // Lease requests get their own connections: on a busy API server, renewals must not queue behind
  // the reconcilers' applies (a renewal late by RENEW_DEADLINE_SECONDS loses the lease).
  const leaseClient = new KubeClient(kubeConfig(cfg), metrics.apiRequests, 2);
  onShutdown(log, [
    () => ctl.stop(),
    async () => elector?.release(),
    () => new Promise<void>((resolve) => server.close(() => resolve())),
    async () => {
      client.close();
      leaseClient.close();
    },
  ]);

  // The CRD may be installed after the operator starts: keep trying.
  for (let attempt = 1; ; attempt++) {
    try {
      await ctl.startInformers();
      break;
    } catch (err) {
      log.warn({ err: String(err), attempt }, 'cannot start informers yet; retrying');
      discovery.invalidate();
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 10_000)));
    }
  }
  log.info('informers synced');

  if (!cfg.leaderElection) {
    ctl.startWorkers();
    return;
  }
  elector = new LeaderElector(
    leaseClient,
    {
      namespace: cfg.leaseNamespace,
      name: cfg.leaseName,
      identity,
      leaseDurationMs: cfg.leaseDurationSeconds * 1000,
      renewDeadlineMs: cfg.renewDeadlineSeconds * 1000,
      retryPeriodMs: cfg.retryPeriodSeconds * 1000,
    },
    {
      onStartedLeading: () => ctl.startWorkers(),
      onStoppedLeading: () => {
        // Another replica may already reconcile: stop at once (like controller-runtime) and let the
        // Deployment restart this one as a standby.
        log.error('lost the leader lease; exiting');
        void ctl.stop().finally(() => process.exit(1));
      },
    },
    log,
  );
  elector.start();
}
