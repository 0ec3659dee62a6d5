/**
 * `credit-platform render -f creditpipeline.yaml`: what the operator would apply, as YAML, with
 * no cluster. See args.ts for the options and render.ts for the path the objects take.
 */
import { readFileSync } from 'node:fs';
import { OPERATOR_ENV } from '../../api/env.ts';
import { DEFAULT_OPERATOR_IMAGE } from '../../operator/config.ts';
import { loadDashboards } from '../../operator/dashboards.ts';
import { parseRenderArgs, RENDER_USAGE, UsageError } from './args.ts';
import { renderDocuments, toYamlStream } from './render.ts';

export async function run(argv: string[]): Promise<void> {
  let args: ReturnType<typeof parseRenderArgs>;
  try {
    args = parseRenderArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`render: ${err.message}\n\n${RENDER_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(RENDER_USAGE);
    return;
  }
  const input = {
    capabilities: args.capabilities,
    operatorImage: args.image ?? (process.env[OPERATOR_ENV.operatorImage] || DEFAULT_OPERATOR_IMAGE),
    dashboards: await loadDashboards(),
    namespace: args.namespace,
  };
  const errors: string[] = [];
  const objects = [];
  let pipelines = 0;
  for (const file of args.files) {
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const out = renderDocuments(text, file === '-' ? '<stdin>' : file, input);
    errors.push(...out.errors);
    objects.push(...out.objects);
    pipelines += out.pipelines;
  }
  if (pipelines === 0 && errors.length === 0) errors.push(`no CreditPipeline in ${args.files.join(', ')}`);
  if (errors.length > 0) {
    process.stderr.write(`${errors.join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(toYamlStream(objects));
}
