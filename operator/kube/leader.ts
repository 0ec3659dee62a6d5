/**
 * Leader election through a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it:
 * a candidate takes the Lease when it is free or its holder stopped renewing for `leaseDurationMs`;
 * the leader renews every `retryPeriodMs` and gives up (stops leading) when it could not renew for
 * `renewDeadlineMs`; on shutdown it releases the Lease (empty holder) so another takes over at once.
 * Writes use the Lease's resourceVersion, so two candidates never both win.
 */
import type { Logger } from 'pino';
import { ApiError, isConflict, isNotFound, type KubeClient } from './client.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** MicroTime as the API server wants it: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  private lease: Lease | undefined;
  private readonly path: string;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${opts.namespace}/leases`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) {
        this.lastRenew = this.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'became leader');
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading) {
        this.lose('lease taken by another holder');
      }
    } catch (err) {
      this.log.warn({ err: String(err) }, 'leader election request failed');
      if (this.leading && this.now() - this.lastRenew > this.opts.renewDeadlineMs)
        this.lose('could not renew the lease before the renew deadline');
    }
    this.schedule(this.opts.retryPeriodMs);
  }

  private lose(why: string): void {
    this.leading = false;
    this.log.warn({ lease: this.opts.name, why }, 'stopped leading');
    this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const durationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    let current: Lease;
    try {
      current = await this.client.get<Lease>(`${this.path}/${this.opts.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const created: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
        spec: {
          holderIdentity: this.opts.identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      };
      try {
        this.lease = await this.client.create<Lease>(this.path, created);
        return true;
      } catch (e) {
        if (isConflict(e)) return false; // another candidate created it first
        throw e;
      }
    }
    const holder = current.spec.holderIdentity ?? '';
    const renewed = current.spec.renewTime ? Date.parse(current.spec.renewTime) : 0;
    const duration = (current.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const iHold = holder === this.opts.identity;
    // A lease counts as held by another until its renewTime plus duration has passed, measured
    // from when we last saw it change (our clock), like client-go's observedTime.
    if (!iHold && holder !== '' && this.observedFresh(current, renewed, duration, now)) return false;
    const next: Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(now),
        acquireTime: iHold ? current.spec.acquireTime : microTime(now),
        leaseTransitions: (current.spec.leaseTransitions ?? 0) + (iHold ? 0 : 1),
      },
    };
    try {
      this.lease = await this.client.replace<Lease>(`${this.path}/${this.opts.name}`, next);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  private observed: { rv: string; at: number } | undefined;

  private observedFresh(current: Lease, _renewed: number, durationMs: number, now: number): boolean {
    const rv = current.metadata.resourceVersion ?? '';
    if (this.observed?.rv !== rv) this.observed = { rv, at: now };
    return now - this.observed.at < durationMs;
  }

  /** Stops campaigning; a leader empties the holder so a standby can take over immediately. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.leading || this.lease === undefined) return;
    this.leading = false;
    try {
      await this.client.replace<Lease>(`${this.path}/${this.opts.name}`, {
        ...this.lease,
        spec: { ...this.lease.spec, holderIdentity: null, renewTime: null, acquireTime: null },
      });
      this.log.info({ lease: this.opts.name }, 'released the leader lease');
    } catch (err) {
      this.log.warn(
        { err: err instanceof ApiError ? err.message : String(err) },
        'could not release the lease',
      );
    }
  }
}
