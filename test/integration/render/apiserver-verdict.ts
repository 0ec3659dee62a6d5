/**
 * What the harness's API server answers to a create (server-side dry run, strict field
 * validation): the Status causes of a 422, or the unknown fields of a 400 strict decoding error.
 */
import { request } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { requireInfra } from '../../../infra/lib/state.ts';

export interface Verdict {
  code: number;
  /** `field: message` per cause (422 Invalid). */
  causes: string[];
  /** Fields named by `strict decoding error: unknown field "…"` (400). */
  unknownFields: string[];
  message: string;
}

interface Status {
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string }> };
}

export async function createVerdict(path: string, object: unknown): Promise<Verdict> {
  const kc = new KubeConfig();
  kc.loadFromFile(requireInfra('kube').kubeconfig);
  const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(`${kc.getCurrentCluster()?.server}${path}?dryRun=All&fieldValidation=Strict`);
  const body = JSON.stringify(object);
  const { code, text } = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        headers: { ...opts.headers, 'content-type': 'application/json', accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  const status = JSON.parse(text) as Status;
  const message = status.message ?? '';
  return {
    code,
    message,
    causes:
      code === 422 ? (status.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`) : [],
    unknownFields: [...message.matchAll(/unknown field "([^"]+)"/g)].map((m) => m[1] as string),
  };
}
