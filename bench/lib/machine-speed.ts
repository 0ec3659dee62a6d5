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
import { connect, createServer } from 'node:net';

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

export interface RequestCost {
  /** CPU µs per paced loopback round trip (both ends in this process), median of 3 rounds. */
  microsPerRoundTrip: number;
}

/**
 * The other half of a machine's speed for a pipeline at moderate rates: what it costs the CPU to wake
 * up for a request. A 1.8 kB round trip over loopback TCP (an echo server in this process), one every
 * 5 ms, so each starts from an idle event loop as a pipeline's requests do at 1,000/s in batches.
 * On this machine the figure moved between sessions (the pipeline's CPU per application with it, by
 * 2×) while the JSON + SHA-256 reference above barely did: there the pipeline's CPU is mostly waking up
 * for requests (the detector's and decision service's CPU at 100/s is ~80 % of that at 1,000/s).
 */
export async function measureRequestCost(roundTrips = 150): Promise<RequestCost> {
  const server = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const payload = Buffer.alloc(1800, 7);
  const roundTrip = () =>
    new Promise<void>((resolve) => {
      let got = 0;
      const onData = (d: Buffer) => {
        got += d.length;
        if (got >= payload.length) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(payload);
    });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    for (let i = 0; i < 50; i++) await roundTrip();
    const rounds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const before = process.cpuUsage();
      for (let i = 0; i < roundTrips; i++) {
        await sleep(5);
        await roundTrip();
      }
      const used = process.cpuUsage(before);
      rounds.push((used.user + used.system) / roundTrips);
    }
    rounds.sort((a, b) => a - b);
    return { microsPerRoundTrip: Math.round(rounds[1] as number) };
  } finally {
    socket.destroy();
    await new Promise((r) => server.close(r));
  }
}

/** One report line for `measureRequestCost`. */
export function requestCostLine(cost: RequestCost): string {
  return `Request cost reference (bench/lib/machine-speed.ts): ${cost.microsPerRoundTrip} µs of CPU per loopback round trip woken from idle (one every 5 ms, both ends in one process, median of 3 rounds); at moderate rates the pipeline's CPU is mostly this kind of work, so compare it across reports too.`;
}
