/**
 * Go-style durations (`30s`, `15m`, `1h30m`, `500ms`), as the CRD accepts them (the API server's
 * CEL `duration()` reads them); the fraud-rule format has its own, simpler durations
 * (fraud-rules.ts `RULE_DURATION_PATTERN`).
 */

/** A Go duration: one or more `<number><unit>` with unit ns, us, µs, ms, s, m or h. */
export const GO_DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go duration; throws on anything the CRD's pattern would reject. */
export function parseDuration(text: string): number {
  const re = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length)
    throw new Error(`invalid duration: ${JSON.stringify(text)}`);
  return total;
}

export const parseDurationSeconds = (text: string): number => Math.ceil(parseDuration(text) / 1000);
