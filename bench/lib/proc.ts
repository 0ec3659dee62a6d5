/**
 * What a process has used so far, from /proc (Linux): the benches' one reading of another process's
 * CPU time and memory (the API, the detector's replicas, the operator, the broker, the alert store).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User and system CPU seconds a process has used so far; NaN for both once it is gone. */
export function processCpu(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: Number.NaN, system: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')': utime and stime
    // are fields 14 and 15 of stat, indexes 11 and 12 from there.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** User + system CPU seconds a process has used so far (NaN once it is gone, or without a pid). */
export function cpuSeconds(pid: number | undefined): number {
  const c = processCpu(pid);
  return c.user + c.system;
}

/** Resident memory of a process (MiB; NaN when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
