/**
 * The case model, pure: statuses and the transitions between them, severities and their order, what
 * an analyst may write in a note, and which verb of the `cases` resource each action needs.
 *
 * One case per application with live alerts (not one per alert): the analyst's question is "is this
 * application fraud?", and when several rules fire on one application their alerts are evidence of the
 * same answer. The verdict then labels every alert of the case, which is what per-rule precision needs.
 */
import { SEVERITIES } from '../../api/fraud-rules.ts';

export const CASE_STATUSES = [
  'open',
  'investigating',
  'confirmed_fraud',
  'legitimate',
  'inconclusive',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const VERDICTS = ['confirmed_fraud', 'legitimate', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export { SEVERITIES };
export type Severity = (typeof SEVERITIES)[number];

/** 1 (low) … 4 (critical): the queue sorts on it. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity) + 1;
}

export function isVerdict(status: string): status is Verdict {
  return (VERDICTS as readonly string[]).includes(status);
}

export function isCaseStatus(status: string): status is CaseStatus {
  return (CASE_STATUSES as readonly string[]).includes(status);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** open → investigating → a verdict; open → a verdict directly. A verdict is final. */
const NEXT: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ['investigating', ...VERDICTS],
  investigating: [...VERDICTS],
  confirmed_fraud: [],
  legitimate: [],
  inconclusive: [],
};

export type TransitionCheck = { ok: true } | { ok: false; reason: string };

export function checkTransition(from: CaseStatus, to: CaseStatus): TransitionCheck {
  if (NEXT[from].includes(to)) return { ok: true };
  if (isVerdict(from)) return { ok: false, reason: `the case is resolved (${from}); a verdict is final` };
  return {
    ok: false,
    reason: `a case cannot go from ${from} to ${to} (allowed: ${NEXT[from].join(', ')})`,
  };
}

/**
 * Verbs of the `cases` resource (API group of the CreditPipeline), checked with a SubjectAccessReview
 * per request. RBAC accepts any verb string, so `assign` and `resolve` can be granted apart:
 *
 *   analyst: get, list, update (note, take a case, start investigating), resolve
 *   lead:    the analyst's verbs plus assign (give a case to someone else)
 */
export const CASE_VERBS = ['get', 'list', 'update', 'assign', 'resolve'] as const;
export type CaseVerb = (typeof CASE_VERBS)[number];

/** The verb a status change needs. */
export function verbForStatus(to: CaseStatus): CaseVerb {
  return isVerdict(to) ? 'resolve' : 'update';
}

/** Taking a case (or dropping one's own) is `update`; assigning anyone else is `assign`. */
export function verbForAssignment(
  actor: string,
  currentAssignee: string | null,
  assignee: string | null,
): CaseVerb {
  if (assignee === actor) return 'update';
  if (assignee === null && currentAssignee === actor) return 'update';
  return 'assign';
}

export const NOTE_MAX_CHARS = 2000;
export const ASSIGNEE_MAX_CHARS = 253;

/**
 * A note is plain text. Markup is refused rather than escaped and stored: a note with `<script>` or an
 * `<img onerror=…>` is an attack or a paste accident, and refusing it means nothing stored can ever be
 * rendered as markup by any reader of the warehouse (the page renders text nodes anyway).
 */
export function checkNote(text: unknown): { ok: true; text: string } | { ok: false; reason: string } {
  if (typeof text !== 'string') return { ok: false, reason: 'text must be a string' };
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'text is empty' };
  if ([...trimmed].length > NOTE_MAX_CHARS)
    return { ok: false, reason: `text is longer than ${NOTE_MAX_CHARS} characters` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(trimmed))
    return { ok: false, reason: 'text contains control characters' };
  if (/<\s*[a-z!/?]/i.test(trimmed) || /javascript:/i.test(trimmed))
    return {
      ok: false,
      reason: 'text contains markup (HTML tags or javascript: URLs); notes are plain text',
    };
  return { ok: true, text: trimmed };
}

/** An assignee is a Kubernetes user name (e.g. `system:serviceaccount:ns:name`, `alice@example.com`). */
export function checkAssignee(
  value: unknown,
): { ok: true; assignee: string | null } | { ok: false; reason: string } {
  if (value === null) return { ok: true, assignee: null };
  if (typeof value !== 'string') return { ok: false, reason: 'assignee must be a string or null' };
  if (value.length === 0 || value.length > ASSIGNEE_MAX_CHARS)
    return { ok: false, reason: `assignee must be 1 to ${ASSIGNEE_MAX_CHARS} characters` };
  if (!/^[A-Za-z0-9@._:+-]+$/.test(value))
    return { ok: false, reason: 'assignee may contain only letters, digits and @ . _ : + -' };
  return { ok: true, assignee: value };
}
