/**
 * What the reconciler tells people through Kubernetes Events: the transitions they care about
 * (created, updated, reverted, recreated, pruned, ready, degraded, recovered), worded in one place.
 */
import type { CreditPipeline, CreditPipelineStatus } from '../../api/v1alpha1.ts';
import type { EventRecorder, EventType } from '../kube/events.ts';
import type { ApplyOutcome } from './apply.ts';
import { findCondition } from './conditions.ts';

export class PipelineEvents {
  constructor(private readonly recorder: EventRecorder) {}

  private emit(cp: CreditPipeline, type: EventType, reason: string, action: string, note: string): void {
    this.recorder.record(cp, type, reason, action, note);
  }

  reconciling(cp: CreditPipeline): void {
    this.emit(cp, 'Normal', 'Reconciling', 'Reconcile', 'Started creating the pipeline’s parts.');
  }

  topicsDeleted(cp: CreditPipeline): void {
    this.emit(cp, 'Normal', 'TopicsDeleted', 'Delete', 'Deleted the Kafka topics (deletionPolicy: Delete).');
  }

  recreating(cp: CreditPipeline, outcome: ApplyOutcome): void {
    this.emit(cp, 'Normal', 'Recreating', 'Delete', outcome.message ?? outcome.key);
  }

  pruned(cp: CreditPipeline, kind: string | undefined, name: string | undefined): void {
    this.emit(cp, 'Normal', 'Pruned', 'Delete', `Deleted ${kind} ${name}: the spec no longer wants it.`);
  }

  /** One event per kind of change of an apply pass: created, updated, and hand edits reverted. */
  applied(cp: CreditPipeline, outcomes: readonly ApplyOutcome[]): void {
    const created = outcomes.filter((o) => o.action === 'created');
    const updated = outcomes.filter((o) => o.action === 'updated');
    const reverted = updated.filter((o) => o.reverted !== undefined);
    const label = (o: ApplyOutcome) =>
      o.key
        .split('/')
        .slice(-3)
        .filter((_, i) => i !== 1)
        .join(' ');
    if (created.length > 0)
      this.emit(
        cp,
        'Normal',
        'Created',
        'Apply',
        `Created ${created.length} object(s): ${created.map(label).join(', ')}`,
      );
    if (updated.length > 0)
      this.emit(
        cp,
        'Normal',
        'Updated',
        'Apply',
        `Updated ${updated.length} object(s): ${updated.map(label).join(', ')}`,
      );
    if (reverted.length > 0)
      this.emit(
        cp,
        'Warning',
        'EditReverted',
        'Apply',
        `Reverted changes to managed fields: ${reverted
          .map((o) => `${label(o)} (by ${(o.reverted ?? []).join(', ')})`)
          .join('; ')}; change the CreditPipeline instead`,
      );
  }

  /** Events for the condition changes between two statuses. */
  transitions(
    cp: CreditPipeline,
    before: CreditPipelineStatus | undefined,
    after: CreditPipelineStatus,
  ): void {
    const previous = (t: string) => findCondition(before?.conditions, t);
    const ready = findCondition(after.conditions, 'Ready');
    const degraded = findCondition(after.conditions, 'Degraded');
    if (ready?.status === 'True' && previous('Ready')?.status !== 'True')
      this.emit(cp, 'Normal', 'PipelineReady', 'Reconcile', ready.message);
    if (
      degraded?.status === 'True' &&
      (previous('Degraded')?.status !== 'True' || previous('Degraded')?.message !== degraded.message)
    )
      this.emit(cp, 'Warning', degraded.reason, 'Reconcile', degraded.message);
    if (degraded?.status === 'False' && previous('Degraded')?.status === 'True')
      this.emit(cp, 'Normal', 'Recovered', 'Reconcile', 'The pipeline is no longer degraded.');
    for (const t of ['TopicsReady', 'MonitoringReady'] as const) {
      const c = findCondition(after.conditions, t);
      const prev = previous(t);
      if (c?.status === 'False' && (prev?.status !== 'False' || prev.reason !== c.reason))
        this.emit(cp, 'Warning', c.reason, 'Reconcile', c.message);
    }
  }
}
