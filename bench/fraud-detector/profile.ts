/**
 * CPU profiles for the fraud-detector bench: `startProfile()` samples this process (node:inspector,
 * the detector running in it) until `stop()`; `summarizeProfile` says where the CPU went, as self time
 * by part of the code base (the detector's modules, the Kafka client, MongoDB's driver, GC, ...), by
 * function, and as inclusive time of the functions that cover most of it.
 *
 * Also a command: `tsx bench/fraud-detector/profile.ts <file.cpuprofile> [items]` summarizes a profile
 * written before (e.g. by `node --cpu-prof` of a detector process), per item when `items` is given.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';

/** The parts of a V8 CPU profile read here (Profiler.Profile). */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export async function startProfile(intervalUs = 500): Promise<{ stop(): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      session.disconnect();
      return profile as unknown as CpuProfile;
    },
  };
}

/** Where a frame's code lives, coarsely: what a change would have to touch. */
function partOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (program)';
  if (name === '(root)') return 'idle';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) {
    const pkg = nm[1] as string;
    if (pkg === '@sinclair/typebox') return 'contract validation (typebox)';
    if (pkg === 'mongodb' || pkg === 'bson') return 'MongoDB driver';
    return pkg;
  }
  if (url.startsWith('node:')) return 'node internals';
  const wl = url.match(/workloads\/(fraud-detector\/[^/]+(?:\/[^/]+)?|shared\/[^/]+|contract\/[^/]+)/);
  if (wl) return (wl[1] as string).replace(/\.ts$/, '');
  const other = url.match(/\/(lib|api|bench)\/([^/]+)$/);
  if (other) return `${other[1]}/${(other[2] as string).replace(/\.ts$/, '')}`;
  if (url === '') return name === '' ? 'native (anonymous)' : `native: ${name}`;
  return url.replace(/^.*\//, '');
}

const frameName = (f: { functionName: string; url: string; lineNumber: number }) =>
  `${f.functionName || '(anonymous)'} ${f.url === '' ? '' : `${f.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${f.lineNumber + 1}`}`;

/** A text summary: shares of the sampled time (idle excluded), µs per item when `perItem` is given. */
export function summarizeProfile(
  profile: CpuProfile,
  options: { perItem?: number; top?: number } = {},
): string {
  const top = options.top ?? 30;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const self = new Map<string, number>();
  const parts = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  /** Nodes under the profiler's own calls (stopping it serializes the profile): left out. */
  const profiler = new Set<number>();
  const underProfiler = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (profiler.has(at)) return true;
      if (byId.get(at)?.callFrame.url === 'node:inspector') {
        profiler.add(at);
        return true;
      }
    }
    return false;
  };
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined || underProfiler(id)) continue;
    const part = partOf(node.callFrame.url, node.callFrame.functionName);
    if (part === 'idle') {
      idle += us;
      continue;
    }
    busy += us;
    parts.set(part, (parts.get(part) ?? 0) + us);
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + us);
    // Inclusive: each function on the stack once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n === undefined) break;
      const f = frameName(n.callFrame);
      if (seen.has(f) || n.callFrame.functionName === '(root)') continue;
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + us);
    }
  }
  const fmt = (us: number) => {
    const share = `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
    return options.perItem === undefined
      ? share
      : `${share} ${(us / options.perItem).toFixed(1).padStart(6)} µs`;
  };
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const lines = [
    `busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms (sampled)` +
      (options.perItem === undefined ? '' : `; ${(busy / options.perItem).toFixed(1)} µs busy per item`),
    '',
    'Self time by part of the code:',
    ...sorted(parts).map(([k, us]) => `  ${fmt(us)}  ${k}`),
    '',
    `Self time, top ${top} functions:`,
    ...sorted(self)
      .slice(0, top)
      .map(([k, us]) => `  ${fmt(us)}  ${k}`),
    '',
    `Inclusive time, top ${top} functions:`,
    ...sorted(inclusive)
      .slice(0, top)
      .map(([k, us]) => `  ${fmt(us)}  ${k}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, items] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: tsx bench/fraud-detector/profile.ts <file.cpuprofile> [items] [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(
    summarizeProfile(profile, {
      ...(items === undefined ? {} : { perItem: Number(items) }),
      top: Number(process.argv[4] ?? 30),
    }),
  );
}
