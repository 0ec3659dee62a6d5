/** The command line of `credit-platform render`. */
import type { Capabilities } from '../../operator/reconcile/dependencies.ts';

/** Optional APIs `--assume` can name, and the capability each stands for. */
export const OPTIONAL_APIS = { strimzi: 'strimzi', 'prometheus-operator': 'monitoring' } as const;
export type OptionalApi = keyof typeof OPTIONAL_APIS;

export interface RenderArgs {
  files: string[];
  capabilities: Capabilities;
  /** Namespace for pipelines whose metadata has none. */
  namespace: string;
  /** The operator image the workloads run unless spec.images.platform is set. */
  image: string | undefined;
  help: boolean;
}

export const RENDER_USAGE = `usage: credit-platform render -f <file> [-f <file> ...] [options]

Prints, as YAML, every object the operator would apply for each CreditPipeline in the files
(other kinds are skipped), after validating each against the CRD's schema and CEL rules as the
API server does. Generated Secrets carry placeholder values. Exits 1 when a pipeline is invalid.

  -f, --filename <file>   a YAML file with one or more documents ('-' reads standard input)
  --assume <apis>         optional APIs the cluster serves: strimzi, prometheus-operator, both
                          comma-separated (the default), or 'none' (topics managed directly,
                          no ServiceMonitors or PrometheusRules)
  -n, --namespace <ns>    namespace of pipelines that do not set one (default: default)
  --image <ref>           the operator's image (default: $OPERATOR_IMAGE or the chart's)
`;

export class UsageError extends Error {}

export function parseAssume(value: string): Capabilities {
  const caps: Capabilities = { strimzi: false, monitoring: false };
  if (value === 'none') return caps;
  for (const name of value.split(',').map((s) => s.trim())) {
    if (!(name in OPTIONAL_APIS))
      throw new UsageError(
        `--assume: unknown API ${JSON.stringify(name)} (known: ${Object.keys(OPTIONAL_APIS).join(', ')}, none)`,
      );
    caps[OPTIONAL_APIS[name as OptionalApi]] = true;
  }
  return caps;
}

export function parseRenderArgs(argv: readonly string[]): RenderArgs {
  const out: RenderArgs = {
    files: [],
    capabilities: { strimzi: true, monitoring: true },
    namespace: 'default',
    image: undefined,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-f':
      case '--filename':
        out.files.push(value());
        break;
      case '--assume':
        out.capabilities = parseAssume(value());
        break;
      case '-n':
      case '--namespace':
        out.namespace = value();
        break;
      case '--image':
        out.image = value();
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (!out.help && out.files.length === 0) throw new UsageError('no file given (-f)');
  return out;
}
