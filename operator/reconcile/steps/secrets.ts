/**
 * The generated Secrets' current values, so a render reuses them (credentials stay stable): read from
 * the informer cache, or, until the cache has caught up with an apply, from the apply's answer.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { generatedSecretNames } from '../../../api/names.ts';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { CacheReader } from '../run.ts';

export function decodeSecret(s: V1Secret | undefined): Record<string, string> | undefined {
  if (s?.data === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

export class GeneratedSecrets {
  /** Decoded generated Secrets as last applied, by `namespace/name`, until the informer has them. */
  private readonly memo = new Map<string, Record<string, string>>();

  constructor(private readonly cache: CacheReader) {}

  /** The decoded data of the pipeline's generated Secrets that exist, by Secret name. */
  existing(cp: CreditPipeline): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const name of generatedSecretNames(cp.metadata.name)) {
      const cached = decodeSecret(this.cache.get<V1Secret>('v1', 'Secret', cp.metadata.namespace, name));
      const data = cached ?? this.memo.get(`${cp.metadata.namespace}/${name}`);
      if (data !== undefined) out[name] = data;
    }
    return out;
  }

  /** Remembers a Secret the apply layer just wrote. */
  applied(namespace: string | undefined, name: string, secret: V1Secret): void {
    this.memo.set(`${namespace}/${name}`, decodeSecret(secret) ?? {});
  }

  forget(pipelineKey: string): void {
    for (const k of this.memo.keys()) if (k.startsWith(`${pipelineKey}-`)) this.memo.delete(k);
  }
}
