/**
 * The status the operator wrote last per pipeline, kept until the informer cache catches up (what
 * `ChildApplier.written` is for children). A reconcile that runs before its own status write's watch
 * event has arrived — a follow-up handed out at once by the work queue — would otherwise see the
 * pipeline as it was before: "first sight" again (a second Reconciling event) and the same status
 * written a second time.
 */
import type { CreditPipeline, CreditPipelineStatus } from '../../api/v1alpha1.ts';

export class WrittenStatuses {
  private readonly memo = new Map<string, { basedOn: string; status: CreditPipelineStatus }>();

  /**
   * The pipeline as the cache holds it, with the status written over that very version while the
   * cache still shows that version; once the cache holds another version (our write, or anyone's
   * later change), the cache is the truth again and the memo goes.
   */
  overlay(key: string, cp: CreditPipeline): CreditPipeline {
    const m = this.memo.get(key);
    if (m === undefined) return cp;
    if (m.basedOn === cp.metadata.resourceVersion) return { ...cp, status: m.status };
    this.memo.delete(key);
    return cp;
  }

  /** `status` was written over `cp` (the version the reconcile read). */
  wrote(key: string, cp: CreditPipeline, status: CreditPipelineStatus): void {
    const rv = cp.metadata.resourceVersion;
    if (rv === undefined) this.memo.delete(key);
    else this.memo.set(key, { basedOn: rv, status });
  }

  forget(key: string): void {
    this.memo.delete(key);
  }
}
