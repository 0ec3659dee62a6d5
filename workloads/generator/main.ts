/**
 * `credit-platform generator`: synthetic application traffic with labelled fraud.
 *
 *   generator --seed 42 --count 1000 --rate 50 --target api --url http://127.0.0.1:8080 --labels labels.jsonl
 *   generator --seed 42 --count 1000 --target kafka --brokers 127.0.0.1:9092 --topic credit_apps
 *   generator --seed 42 --count 10 --target stdout            (JSONL submissions on stdout)
 *
 * Labels (`{applicationId, scenario, campaignId?, seq, size}`) go to the `--labels` JSONL side file;
 * with `--target kafka` each message also carries the header `x-scenario`. The Kafka target
 * pseudonymizes like the API does (PSEUDONYMIZATION_KEY) and keys by customerId.
 * Progress goes to stderr once a second.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import { ENV, PORTS } from '../../api/env.ts';
import { DEFAULT_TOPICS } from '../../api/topics.ts';
import { pseudonymize } from '../contract/pseudonymize.ts';
import { toMessage } from '../ingestion-api/sink.ts';
import { bytesMessage, createProducer } from '../shared/kafka-client.ts';
import {
  applicationStream,
  DEFAULT_START,
  FRAUD_SCENARIOS,
  type FraudScenario,
  type GeneratedApplication,
} from './generate.ts';
import { DEFAULT_OUTCOME_OPTIONS, OUTCOME_CSV_HEADER, outcomeCsvLine, outcomeOf } from './outcomes.ts';
import { postJson } from './post-json.ts';

/** The ingestion API on this machine (its default port). */
const DEFAULT_URL = `http://127.0.0.1:${PORTS.http}`;

const USAGE = `usage: credit-platform generator [options]
  --seed N            PRNG seed (default 1); same seed, same applications
  --count N           applications to send (default 1000)
  --rate N            applications per second (default: as fast as the target takes them)
  --target T          api | kafka | stdout (default stdout)
  --url URL           ingestion API base URL (api; default $${ENV.ingestionUrl} or ${DEFAULT_URL})
  --batch N           applications per POST (api; 1 = /v1/applications, >1 = :batch; default 1)
  --concurrency N     requests in flight (api; default 8)
  --brokers LIST      Kafka bootstrap servers (kafka; default $${ENV.kafkaBrokers})
  --topic NAME        topic (kafka; default $${ENV.applicationsTopic} or ${DEFAULT_TOPICS.applications})
  --labels FILE       write ground-truth labels as JSONL to FILE
  --outcomes FILE     write loan outcomes as CSV to FILE (for load-outcomes; see outcomes.ts)
  --outcome-horizon N months of the outcomes' horizon (default ${DEFAULT_OUTCOME_OPTIONS.horizonMonths})
  --outcome-share X   share of applications with an outcome, 0..1 (default ${DEFAULT_OUTCOME_OPTIONS.share})
  --rates S=R,...     scenario rates, e.g. velocity_burst=0.05,known_bad=0 (shares of applications)
  --start TIME        event time of the first application: RFC 3339 or "now"
                      (default: now for api/kafka, ${DEFAULT_START} for stdout)
  --interval MS       event-time gap between applications (default 1000/rate, or 1000)
  --quiet             no progress lines`;

export interface GeneratorCliOptions {
  seed: number;
  count: number;
  rate: number;
  target: 'api' | 'kafka' | 'stdout';
  url: string;
  batch: number;
  concurrency: number;
  brokers: string;
  topic: string;
  labels?: string;
  /** Loan outcomes CSV of the accepted applications (workloads/generator/outcomes.ts). */
  outcomes?: { file: string; horizonMonths: number; share: number };
  scenarioRates: Partial<Record<FraudScenario, number>>;
  start: string;
  intervalMs: number;
  quiet: boolean;
}

export function parseGeneratorArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): GeneratorCliOptions {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    // node:util reports unknown options and missing values as TypeErrors.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  if (values.help) throw new UsageError('');

  const int = (name: string, text: string | undefined, dflt: number, min: number) => {
    if (text === undefined) return dflt;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
    return n;
  };
  const target = values.target ?? 'stdout';
  if (target !== 'api' && target !== 'kafka' && target !== 'stdout')
    throw new UsageError('--target must be api, kafka or stdout');
  const rate = values.rate === undefined ? 0 : Number(values.rate.replace(/\/s$/, ''));
  if (!Number.isFinite(rate) || rate < 0)
    throw new UsageError('--rate must be a number of applications per second');
  const scenarioRates: Partial<Record<FraudScenario, number>> = {};
  for (const pair of (values.rates ?? '').split(',').filter((p) => p.trim() !== '')) {
    const [name, value] = pair.split('=').map((s) => s.trim());
    if (!FRAUD_SCENARIOS.includes(name as FraudScenario))
      throw new UsageError(`unknown scenario in --rates: ${name} (known: ${FRAUD_SCENARIOS.join(', ')})`);
    const r = Number(value);
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new UsageError(`--rates ${name} must be in [0, 1]`);
    scenarioRates[name as FraudScenario] = r;
  }
  const startText = values.start ?? (target === 'stdout' ? DEFAULT_START : 'now');
  const start = startText === 'now' ? new Date().toISOString() : startText;
  if (!Number.isFinite(Date.parse(start))) throw new UsageError('--start must be an RFC 3339 time or "now"');
  const brokers = values.brokers ?? env[ENV.kafkaBrokers] ?? '';
  if (target === 'kafka' && brokers === '')
    throw new UsageError(`--target kafka needs --brokers or ${ENV.kafkaBrokers}`);
  const options: GeneratorCliOptions = {
    seed: int('seed', values.seed, 1, 0),
    count: int('count', values.count, 1000, 1),
    rate,
    target,
    url: (values.url ?? env[ENV.ingestionUrl] ?? DEFAULT_URL).replace(/\/$/, ''),
    batch: int('batch', values.batch, 1, 1),
    concurrency: int('concurrency', values.concurrency, 8, 1),
    brokers,
    topic: values.topic ?? env[ENV.applicationsTopic] ?? DEFAULT_TOPICS.applications,
    scenarioRates,
    start,
    intervalMs: int('interval', values.interval, rate > 0 ? Math.max(1, Math.round(1000 / rate)) : 1000, 1),
    quiet: values.quiet ?? false,
  };
  if (values.labels !== undefined) options.labels = values.labels;
  const share =
    values['outcome-share'] === undefined ? DEFAULT_OUTCOME_OPTIONS.share : Number(values['outcome-share']);
  if (!(share >= 0 && share <= 1)) throw new UsageError('--outcome-share must be a number in [0, 1]');
  const horizonMonths = int(
    'outcome-horizon',
    values['outcome-horizon'],
    DEFAULT_OUTCOME_OPTIONS.horizonMonths,
    1,
  );
  if (horizonMonths > 120) throw new UsageError('--outcome-horizon must be at most 120 months');
  if (values.outcomes !== undefined) options.outcomes = { file: values.outcomes, horizonMonths, share };
  return options;
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      seed: { type: 'string' },
      count: { type: 'string' },
      rate: { type: 'string' },
      target: { type: 'string' },
      url: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
      labels: { type: 'string' },
      outcomes: { type: 'string' },
      'outcome-horizon': { type: 'string' },
      'outcome-share': { type: 'string' },
      rates: { type: 'string' },
      start: { type: 'string' },
      interval: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
}

export class UsageError extends Error {}

/** Counts of one run. */
export interface GeneratorReport {
  sent: number;
  accepted: number;
  rejected: number;
  retries: number;
  seconds: number;
  byScenario: Record<string, number>;
}

interface Target {
  /** Delivers a group of applications; resolves with how many were accepted. */
  send(items: GeneratedApplication[]): Promise<{ accepted: number; rejected: number; retries: number }>;
  close(): Promise<void>;
}

export async function run(argv: string[]): Promise<void> {
  let options: GeneratorCliOptions;
  try {
    options = parseGeneratorArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message === '' ? '' : `${err.message}\n\n`}${USAGE}\n`);
      process.exitCode = err.message === '' ? 0 : 2;
      return;
    }
    throw err;
  }
  const report = await generate(options);
  process.stderr.write(`${JSON.stringify({ done: report })}\n`);
  if (report.rejected > 0) process.exitCode = 1;
}

/** How a program that embeds the generator (the demo) follows a run. */
export interface GeneratorHooks {
  /** Called every second in place of the stderr progress line. */
  onProgress?(report: Readonly<GeneratorReport>): void;
  /** Called with each group of applications the target accepted (their labels, for scoring recall). */
  onAccepted?(items: readonly GeneratedApplication[]): void;
}

/** Runs the generator against its target; resolves when every application was delivered. */
export async function generate(
  options: GeneratorCliOptions,
  hooks: GeneratorHooks = {},
): Promise<GeneratorReport> {
  const target = await openTarget(options);
  const labels: WriteStream | undefined = options.labels ? createWriteStream(options.labels) : undefined;
  const outcomes = options.outcomes && {
    out: createWriteStream(options.outcomes.file),
    options: {
      ...DEFAULT_OUTCOME_OPTIONS,
      seed: options.seed,
      horizonMonths: options.outcomes.horizonMonths,
      share: options.outcomes.share,
      observedDate: new Date().toISOString().slice(0, 10),
    },
  };
  outcomes?.out.write(OUTCOME_CSV_HEADER);
  const report: GeneratorReport = {
    sent: 0,
    accepted: 0,
    rejected: 0,
    retries: 0,
    seconds: 0,
    byScenario: {},
  };
  const t0 = Date.now();
  // The embedding program's progress hook, else a stderr line (unless --quiet); once a second.
  const onProgress =
    hooks.onProgress ??
    (options.quiet
      ? undefined
      : (r: Readonly<GeneratorReport>) =>
          process.stderr.write(
            `[generator] ${r.accepted}/${options.count} accepted, ${r.rejected} rejected, ` +
              `${r.retries} retries, ${(r.accepted / Math.max(r.seconds, 0.001)).toFixed(1)}/s\n`,
          ));
  const progress =
    onProgress &&
    setInterval(() => {
      report.seconds = (Date.now() - t0) / 1000;
      onProgress(report);
    }, 1000);
  const groupSize = options.target === 'api' ? options.batch : options.target === 'kafka' ? 100 : 1;
  const inFlight = new Set<Promise<void>>();
  const concurrency = options.target === 'api' ? options.concurrency : 1;
  let group: GeneratedApplication[] = [];

  const dispatch = async (items: GeneratedApplication[]) => {
    const p = target.send(items).then((r) => {
      report.accepted += r.accepted;
      report.rejected += r.rejected;
      report.retries += r.retries;
      if (r.accepted !== items.length) return;
      hooks.onAccepted?.(items);
      if (labels) for (const { label } of items) labels.write(`${JSON.stringify(label)}\n`);
      if (outcomes)
        for (const { submission, label } of items) {
          const o = outcomeOf(submission, label.scenario, outcomes.options);
          if (o !== null) outcomes.out.write(outcomeCsvLine(o));
        }
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  try {
    let i = 0;
    for (const item of applicationStream({
      seed: options.seed,
      count: options.count,
      scenarioRates: options.scenarioRates,
      start: options.start,
      intervalMs: options.intervalMs,
    })) {
      if (options.rate > 0) {
        const due = t0 + (i * 1000) / options.rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      i++;
      report.sent++;
      report.byScenario[item.label.scenario] = (report.byScenario[item.label.scenario] ?? 0) + 1;
      group.push(item);
      // Kafka groups flush when full or when pacing would hold them back.
      if (group.length >= groupSize || (options.rate > 0 && options.target === 'kafka' && group.length > 0)) {
        const g = group;
        group = [];
        await dispatch(g);
      }
    }
    if (group.length > 0) await dispatch(group);
    await Promise.all(inFlight);
  } finally {
    if (progress) clearInterval(progress);
    await target.close();
    if (labels) await new Promise<void>((r) => labels.end(() => r()));
    if (outcomes) await new Promise<void>((r) => outcomes.out.end(() => r()));
  }
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

async function openTarget(options: GeneratorCliOptions): Promise<Target> {
  if (options.target === 'stdout')
    return {
      async send(items) {
        const text = items.map((i) => `${JSON.stringify(i.submission)}\n`).join('');
        if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
        return { accepted: items.length, rejected: 0, retries: 0 };
      },
      async close() {},
    };
  if (options.target === 'kafka') return kafkaTarget(options);
  return apiTarget(options);
}

async function kafkaTarget(options: GeneratorCliOptions): Promise<Target> {
  const key = process.env[ENV.pseudonymizationKey];
  if (key === undefined || key.length < 16)
    throw new Error(
      `--target kafka needs ${ENV.pseudonymizationKey} (>= 16 characters): raw national IDs never go to Kafka`,
    );
  const producer = createProducer(
    { brokers: options.brokers.split(',').map((b) => b.trim()), clientId: 'generator' },
    { retries: 10 },
  );
  return {
    async send(items) {
      await producer.send({
        messages: items.map(({ submission, label }) => {
          // The API's own message (key, headers), plus the label for tests and the demo's report.
          const message = toMessage(pseudonymize(submission, key, new Date()));
          return bytesMessage(options.topic, {
            ...message,
            headers: { ...message.headers, 'x-scenario': label.scenario },
          });
        }),
      });
      return { accepted: items.length, rejected: 0, retries: 0 };
    },
    close: () => producer.close(),
  };
}

function apiTarget(options: GeneratorCliOptions): Target {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const batch = options.batch > 1;
  const url = `${options.url}/v1/applications${batch ? ':batch' : ''}`;
  return {
    async send(items) {
      const body = JSON.stringify(
        batch ? { applications: items.map((i) => i.submission) } : items[0]?.submission,
      );
      let retries = 0;
      for (;;) {
        let status = 0;
        let retryAfter = 1;
        try {
          const res = await postJson(agent, url, body);
          status = res.status;
          retryAfter = res.retryAfter;
          const text = res.text;
          if (status === 202) return { accepted: items.length, rejected: 0, retries };
          if (status >= 400 && status < 500) {
            process.stderr.write(`[generator] rejected (${status}): ${text.slice(0, 500)}\n`);
            return { accepted: 0, rejected: items.length, retries };
          }
        } catch {
          // Connection refused or reset: the API is restarting; retry like a 503.
        }
        if (retries >= 60) throw new Error(`giving up after ${retries} retries (last status ${status})`);
        retries++;
        await new Promise((r) => setTimeout(r, Math.min(Math.max(retryAfter, 0.2), 10) * 1000));
      }
    },
    async close() {
      agent.destroy();
    },
  };
}
