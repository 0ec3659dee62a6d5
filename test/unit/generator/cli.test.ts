import { describe, expect, it } from 'vitest';
import { DEFAULT_START } from '../../../workloads/generator/generate.ts';
import { parseGeneratorArgs, UsageError } from '../../../workloads/generator/main.ts';

describe('generator CLI arguments', () => {
  it('parses seed, count, rate, target, batch and scenario rates', () => {
    const o = parseGeneratorArgs(
      [
        '--seed',
        '42',
        '--count',
        '500',
        '--rate',
        '50/s',
        '--target',
        'api',
        '--batch',
        '20',
        '--rates',
        'known_bad=0.1,geo_mismatch=0',
      ],
      { INGESTION_URL: 'http://127.0.0.1:9999/' },
    );
    expect(o).toMatchObject({
      seed: 42,
      count: 500,
      rate: 50,
      target: 'api',
      batch: 20,
      url: 'http://127.0.0.1:9999',
      intervalMs: 20,
      scenarioRates: { known_bad: 0.1, geo_mismatch: 0 },
    });
    expect(Date.parse(o.start)).toBeGreaterThan(Date.parse('2026-01-01'));
  });

  it('defaults to a fixed start for stdout so output is reproducible', () => {
    expect(parseGeneratorArgs([], {})).toMatchObject({
      target: 'stdout',
      start: DEFAULT_START,
      seed: 1,
      count: 1000,
    });
  });

  it('reads Kafka settings from the environment', () => {
    const o = parseGeneratorArgs(['--target', 'kafka'], {
      KAFKA_BROKERS: 'k:9092',
      APPLICATIONS_TOPIC: 't1',
    });
    expect(o).toMatchObject({ brokers: 'k:9092', topic: 't1' });
  });

  it.each([
    [['--target', 'ftp']],
    [['--count', '-3']],
    [['--rate', 'fast']],
    [['--rates', 'nonsense=0.1']],
    [['--rates', 'known_bad=2']],
    [['--start', 'yesterday']],
    [['--target', 'kafka']],
  ])('refuses %j with a usage error', (argv) => {
    expect(() => parseGeneratorArgs(argv, {})).toThrow(UsageError);
  });
});
