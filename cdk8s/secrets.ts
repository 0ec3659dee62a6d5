/**
 * Generated credential Secrets. Values that already exist (RenderOptions.existingSecrets) are reused
 * so credentials stay stable across reconciles; only missing keys get fresh random values.
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { PORTS } from '../api/env.ts';
import type { EnvVar, RenderContext } from './context.ts';

export const POSTGRES_USER = 'credit';
export const POSTGRES_DB = 'credit';

export class PipelineSecrets extends Construct {
  /** Decoded values of the generated Secrets, by Secret name. */
  readonly values: Record<string, Record<string, string>> = {};

  constructor(
    scope: Construct,
    id: string,
    private readonly ctx: RenderContext,
  ) {
    super(scope, id);
    const n = ctx.names;
    this.secret(n.pseudonymizationSecret, { key: null });
    if (ctx.spec.storage.postgres.managed !== undefined) {
      const pg = this.generate(n.postgresSecret, { password: null });
      const password = pg.password as string;
      this.secret(n.postgresSecret, {
        password,
        username: POSTGRES_USER,
        database: POSTGRES_DB,
        url: `postgres://${POSTGRES_USER}:${password}@${n.postgres}:${PORTS.postgres}/${POSTGRES_DB}`,
      });
    }
  }

  /** Env var that reads the warehouse URL (managed: generated Secret; external: the user's Secret). */
  databaseUrlEnv(name: string): EnvVar {
    const pg = this.ctx.spec.storage.postgres;
    const ref =
      pg.external !== undefined
        ? { name: pg.external.secretRef.name, key: pg.external.secretRef.key }
        : { name: this.ctx.names.postgresSecret, key: 'url' };
    return { name, valueFrom: { secretKeyRef: ref } };
  }

  pseudonymizationKeyEnv(name: string): EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: this.ctx.names.pseudonymizationSecret, key: 'key' } } };
  }

  /** Existing values of `name`, with `null` keys generated when missing. */
  private generate(name: string, keys: Record<string, string | null>): Record<string, string> {
    const existing = this.ctx.opts.existingSecrets?.[name] ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(keys)) out[k] = v ?? existing[k] ?? this.ctx.opts.randomSecret();
    return out;
  }

  private secret(name: string, keys: Record<string, string | null>): void {
    const values = this.generate(name, keys);
    this.values[name] = values;
    new k8s.KubeSecret(this, name, {
      metadata: { name, labels: this.ctx.labels('secrets') },
      type: 'Opaque',
      data: Object.fromEntries(
        Object.entries(values)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
      ),
    });
  }
}
