import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above infra/lib). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Git-ignored run-time state: data directories, logs, PID files, infra.json. */
export const stateDir = process.env.CREDIT_STATE_DIR ?? join(repoRoot, '.state');

/** Build and download cache, kept outside the tracked tree and keyed by version. */
export const cacheDir =
  process.env.CREDIT_CACHE_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'credit-platform');

export const infraFile = join(stateDir, 'infra.json');
export const pidDir = join(stateDir, 'pids');
export const logDir = join(stateDir, 'logs');

/** Environment for kubectl and helm against the harness: its kubeconfig, helm's state under .state/helm. */
export function kubeToolEnv(kubeconfig: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(stateDir, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(stateDir, 'helm', 'config'),
    HELM_DATA_HOME: join(stateDir, 'helm', 'data'),
  };
}
