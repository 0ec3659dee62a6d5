/**
 * Kubernetes Events (`events.k8s.io/v1`) for transitions people care about (became Ready, degraded,
 * child recreated…). The reconciler receives an `EventRecorder`, so tests can inject their own.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient } from './client.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** `reason` is one CamelCase word; `action` what the operator did; `note` is for people. */
  record(target: EventTarget, type: EventType, reason: string, action: string, note: string): void;
}

export class KubeEventRecorder implements EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly controller: string,
    private readonly instance: string,
    private readonly log: Logger,
  ) {}

  record(target: EventTarget, type: EventType, reason: string, action: string, note: string): void {
    const namespace = target.metadata.namespace ?? 'default';
    const name = `${target.metadata.name ?? 'unknown'}.${randomBytes(8).toString('hex')}`;
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action,
      reason,
      type,
      note: note.slice(0, 1024),
      regarding: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.metadata.name,
        namespace,
        uid: target.metadata.uid,
        resourceVersion: target.metadata.resourceVersion,
      },
    };
    // Events are best effort: a failure is logged, never fails a reconcile.
    this.client
      .create(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`, event)
      .catch((err: unknown) => this.log.warn({ err: String(err), reason }, 'could not record event'));
  }
}
