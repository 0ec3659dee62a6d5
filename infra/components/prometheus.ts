/**
 * Prometheus from Debian, configured for tests: 2 s scrape and rule-evaluation intervals, targets
 * from file-based service discovery (`<fileSdDir>/*.json`, re-read every 2 s), rules from
 * `<rulesDir>/*.yml` (re-read on POST /-/reload). infra/lib/prometheus-targets.ts edits both.
 * Every start begins with an empty TSDB and no targets.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from '../lib/component.ts';
import { repoRoot, stateDir } from '../lib/paths.ts';
import { freePort, progress, startDaemon, stopDaemon, waitUntil } from '../lib/process.ts';
import type { PrometheusInfo } from '../lib/state.ts';

const home = join(stateDir, 'prometheus');
const prometheusBin = '/usr/bin/prometheus';
const promtoolBin = '/usr/bin/promtool';

export const prometheus: Component<'prometheus'> = {
  key: 'prometheus',
  daemons: ['prometheus'],

  async provision() {
    if (!existsSync(prometheusBin) || !existsSync(promtoolBin)) {
      progress('prometheus', 'installing Debian packages (infra/provision/apt.sh)');
      execFileSync('bash', [join(repoRoot, 'infra', 'provision', 'apt.sh')], { stdio: 'inherit' });
    }
    if (!existsSync(prometheusBin)) throw new Error(`${prometheusBin} is missing after apt.sh`);
  },

  async start() {
    await stopDaemon('prometheus');
    rmSync(home, { recursive: true, force: true });
    const fileSdDir = join(home, 'file_sd');
    const rulesDir = join(home, 'rules');
    const tsdbDir = join(home, 'tsdb');
    for (const d of [fileSdDir, rulesDir, tsdbDir]) mkdirSync(d, { recursive: true });
    const port = await freePort();
    const configFile = join(home, 'prometheus.yml');
    writeFileSync(configFile, config({ port, fileSdDir, rulesDir }));
    execFileSync(promtoolBin, ['check', 'config', '--syntax-only', configFile], { stdio: 'pipe' });

    startDaemon({
      name: 'prometheus',
      command: prometheusBin,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${tsdbDir}`,
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      cwd: home,
    });
    const info: PrometheusInfo = {
      url: `http://127.0.0.1:${port}`,
      port,
      fileSdDir,
      rulesDir,
      version: version(),
    };
    await waitUntil('Prometheus to be ready', () => ready(info.url), {
      timeoutMs: 30_000,
      logName: 'prometheus',
    });
    return info;
  },

  async healthy(info) {
    return ready(info.url);
  },

  tools() {
    return { promtool: promtoolBin };
  },
};

function config(o: { port: number; fileSdDir: string; rulesDir: string }): string {
  // JSON is valid YAML; no YAML library needed for a file this small.
  const doc = {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    rule_files: [join(o.rulesDir, '*.yml')],
    scrape_configs: [
      {
        job_name: 'prometheus',
        static_configs: [{ targets: [`127.0.0.1:${o.port}`] }],
      },
      {
        // Targets written by addScrapeTarget(); each file's labels set `job` to its own name.
        job_name: 'file_sd',
        file_sd_configs: [{ files: [join(o.fileSdDir, '*.json')], refresh_interval: '2s' }],
      },
    ],
  };
  return `# Written by infra/components/prometheus.ts on every start.\n${JSON.stringify(doc, null, 2)}\n`;
}

function version(): string {
  const out = execFileSync(prometheusBin, ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(out)?.[1] ?? 'unknown';
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}
