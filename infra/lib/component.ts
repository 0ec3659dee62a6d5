import type { InfraState } from './state.ts';

/** One server of the local harness: provisioned (installed/built, cached), started, health-checked. */
export interface Component<K extends keyof InfraState> {
  key: K;
  /** Daemon names (PID files) this component starts, in start order; infra-down stops them in reverse. */
  daemons: readonly string[];
  /** Installs or builds what the component needs; idempotent and cached by version. */
  provision(): Promise<void>;
  /** Starts the daemons on free loopback ports, waits until healthy, returns connection details. */
  start(state: InfraState): Promise<NonNullable<InfraState[K]>>;
  /** True when the recorded instance answers (so a second infra-up reuses it). */
  healthy(info: NonNullable<InfraState[K]>): Promise<boolean>;
  /** False when this checkout runs without the component (it says why); up skips it. */
  enabled?(): boolean;
  /** Custom stop, instead of stopping `daemons` in reverse (infra-down). */
  stop?(): Promise<void>;
  /** Client tools this component provides (name → absolute path), linked into `.state/bin`. */
  tools?(): Record<string, string>;
}
