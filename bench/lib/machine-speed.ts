/**
 * A fixed piece of single-threaded work timed before a bench starts, so a report tells a slow machine
 * from a slow build: the same commit measured about 30× slower in bench/decisions after this machine
 * was restarted (every process ~2× CPU per application), and nothing in the report said so.
 *
 * The work is what the workloads do most per application: JSON encode and decode of an
 * application-sized object and a SHA-256 of it. The figure is the best of five rounds (µs per unit), so
 * a moment's interference does not count; compare it across reports of the same bench.
 */
import { createHash } from 'node:crypto';

const SAMPLE = {
  applicationId: '0b7f4c52-2d3e-4d61-9a55-3f1c2b8e9d10',
  submittedAt: '2026-12-03T10:15:30.123Z',
  receivedAt: '2026-12-03T10:15:30.456Z',
  applicant: {
    nationalIdHash: 'c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2',
    dateOfBirth: '1987-04-12',
    email: 'applicant@example.org',
    phone: '+447700900123',
    address: { line1: '1 High Street', city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' },
  },
  loan: { amount: 12500, termMonths: 48, purpose: 'car' },
  income: { annual: 42000, employmentMonths: 37, employer: 'Example Ltd' },
  device: { id: 'dev-5f2a9c', ip: '203.0.113.77', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
  bureauScore: 712,
};
const UNITS = 5_000;

export interface MachineSpeed {
  /** Best round's time per unit of reference work, in µs (lower is faster). */
  microsPerUnit: number;
}

export function measureMachineSpeed(rounds = 5): MachineSpeed {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < UNITS; i++) {
      const text = JSON.stringify({ ...SAMPLE, seq: i });
      const back = JSON.parse(text) as { seq: number };
      sink += back.seq + createHash('sha256').update(text).digest()[0]!;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / UNITS);
  }
  if (sink < 0) throw new Error('unreachable');
  return { microsPerUnit: Math.round(best * 100) / 100 };
}

/** One report line: the figure and what it means. */
export function machineSpeedLine(speed: MachineSpeed): string {
  return `Machine speed reference (bench/lib/machine-speed.ts, before the run): ${speed.microsPerUnit} µs per unit of JSON encode + decode + SHA-256 of an application, best of 5 rounds on one thread; compare across reports — a higher figure is a slower machine, not a slower build.`;
}
