import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import { PERSONAL_FIELDS } from '../../../lib/personal-data.ts';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('redacts every personal field, at the top level and nested in an application', () => {
    const { lines, stream } = capture();
    const log = createLogger('test', stream);
    const personal = Object.fromEntries(PERSONAL_FIELDS.map((f) => [f, `secret-${f}`]));
    log.info({ ...personal, application: { applicant: { ...personal }, amount: 5000 } }, 'received');
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    for (const f of PERSONAL_FIELDS) expect(line).not.toContain(`secret-${f}`);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.component).toBe('test');
    expect(parsed.email).toBe('[redacted]');
    expect((parsed.application as { amount: number }).amount).toBe(5000);
  });
});
