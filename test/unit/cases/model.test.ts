import { describe, expect, it } from 'vitest';
import { parseAge, parseFilter } from '../../../workloads/cases/handler.ts';
import {
  CASE_STATUSES,
  checkAssignee,
  checkNote,
  checkTransition,
  NOTE_MAX_CHARS,
  verbForAssignment,
  verbForStatus,
} from '../../../workloads/cases/model.ts';

describe('case status machine', () => {
  it('allows open → investigating → a verdict, and open → a verdict', () => {
    expect(checkTransition('open', 'investigating').ok).toBe(true);
    for (const v of ['confirmed_fraud', 'legitimate', 'inconclusive'] as const) {
      expect(checkTransition('open', v).ok).toBe(true);
      expect(checkTransition('investigating', v).ok).toBe(true);
    }
  });
  it('refuses going back, staying, and anything after a verdict, saying why', () => {
    expect(checkTransition('investigating', 'open')).toEqual({
      ok: false,
      reason: expect.stringContaining('from investigating to open'),
    });
    expect(checkTransition('open', 'open').ok).toBe(false);
    for (const from of ['confirmed_fraud', 'legitimate', 'inconclusive'] as const)
      for (const to of CASE_STATUSES) {
        const r = checkTransition(from, to);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toContain('final');
      }
  });
  it('needs resolve for a verdict and update otherwise', () => {
    expect(verbForStatus('investigating')).toBe('update');
    expect(verbForStatus('legitimate')).toBe('resolve');
  });
  it('needs update to take or drop one’s own case and assign for anyone else', () => {
    expect(verbForAssignment('alice', null, 'alice')).toBe('update');
    expect(verbForAssignment('alice', 'alice', null)).toBe('update');
    expect(verbForAssignment('alice', null, 'bob')).toBe('assign');
    expect(verbForAssignment('alice', 'bob', null)).toBe('assign');
    expect(verbForAssignment('alice', 'bob', 'alice')).toBe('update');
  });
});

describe('notes and assignees', () => {
  it('accepts plain text (trimmed), including <3-free punctuation and unicode', () => {
    expect(checkNote('  Called the branch: applicant confirmed — 2 > 1, ok  ')).toEqual({
      ok: true,
      text: 'Called the branch: applicant confirmed — 2 > 1, ok',
    });
  });
  it('refuses markup, javascript: URLs, control characters, empty and over-long text', () => {
    for (const bad of [
      '<script>alert(1)</script>',
      'hi <img src=x onerror=alert(1)>',
      '</textarea><b>',
      'click javascript:alert(1)',
      'bell\u0007',
      '   ',
      'x'.repeat(NOTE_MAX_CHARS + 1),
      42,
    ])
      expect(checkNote(bad).ok).toBe(false);
    expect(checkNote('x'.repeat(NOTE_MAX_CHARS)).ok).toBe(true);
  });
  it('takes Kubernetes user names as assignees, or null', () => {
    expect(checkAssignee('system:serviceaccount:credit:alice')).toEqual({
      ok: true,
      assignee: 'system:serviceaccount:credit:alice',
    });
    expect(checkAssignee(null)).toEqual({ ok: true, assignee: null });
    expect(checkAssignee('<b>').ok).toBe(false);
    expect(checkAssignee('').ok).toBe(false);
    expect(checkAssignee(7).ok).toBe(false);
  });
});

describe('queue filters', () => {
  it('parses statuses, severities, rule, ages and paging', () => {
    const f = parseFilter(
      new URLSearchParams(
        'status=open,investigating&severity=high&rule=velocity-national-id&olderThan=1h&newerThan=7d&limit=20&offset=40',
      ),
    );
    expect(f).toEqual({
      statuses: ['open', 'investigating'],
      severities: ['high'],
      ruleId: 'velocity-national-id',
      minAgeSeconds: 3600,
      maxAgeSeconds: 7 * 86400,
      limit: 20,
      offset: 40,
    });
  });
  it('refuses unknown parameters, statuses, severities, bad ages and page sizes', () => {
    for (const q of [
      'sort=x',
      'status=closed',
      'severity=urgent',
      'olderThan=1w',
      'limit=0',
      'limit=201',
      'rule=<x>',
    ])
      expect(() => parseFilter(new URLSearchParams(q)), q).toThrow();
    expect(parseAge('30m', 'x')).toBe(1800);
  });
});
