/**
 * Generated credential Secrets. Values that already exist (RenderOptions.existingSecrets) are reused
 * so credentials stay stable across reconciles; only missing keys get fresh random values.
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { PORTS } from '../api/env.ts';
import { WAREHOUSE_DATABASE, WAREHOUSE_DECISION_READER, WAREHOUSE_OWNER } from '../api/warehouse.ts';
import type { EnvVar, RenderContext } from './context.ts';

/** The read-only warehouse role exists when the pipeline asks for a Grafana datasource on its managed PostgreSQL. */
export function readerEnabled(ctx: RenderContext): boolean {
  return ctx.spec.monitoring.grafanaDatasource && ctx.spec.storage.postgres.managed !== undefined;
}

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
      const reader = readerEnabled(ctx);
      const pg = this.generate(n.postgresSecret, {
        password: null,
        decisionReaderPassword: null,
        ...(reader ? { readerPassword: null } : {}),
      });
      const password = pg.password as string;
      const decisionReaderPassword = pg.decisionReaderPassword as string;
      const url = (user: string, pass: string) =>
        `postgres://${user}:${encodeURIComponent(pass)}@${n.postgres}:${PORTS.postgres}/${WAREHOUSE_DATABASE}`;
      this.secret(n.postgresSecret, {
        password,
        username: WAREHOUSE_OWNER,
        database: WAREHOUSE_DATABASE,
        url: `postgres://${WAREHOUSE_OWNER}:${password}@${n.postgres}:${PORTS.postgres}/${WAREHOUSE_DATABASE}`,
        decisionReaderPassword,
        decisionReaderUrl: url(WAREHOUSE_DECISION_READER, decisionReaderPassword),
        ...(reader ? { readerPassword: pg.readerPassword as string } : {}),
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

  /**
   * Env var with the URL the ingestion API reads decisions with: managed, the decision reader role
   * (SELECT on what the route reads, generated password); external, the user's URL (give a role with
   * those grants: workloads/ingestion-api/README or docs/ingestion.md).
   */
  decisionReaderUrlEnv(name: string): EnvVar {
    if (this.ctx.spec.storage.postgres.managed === undefined) return this.databaseUrlEnv(name);
    return {
      name,
      valueFrom: { secretKeyRef: { name: this.ctx.names.postgresSecret, key: 'decisionReaderUrl' } },
    };
  }

  /** Env var with the decision reader role's password (managed PostgreSQL), for the migration Job. */
  decisionReaderPasswordEnv(name: string): EnvVar | undefined {
    if (this.ctx.spec.storage.postgres.managed === undefined) return undefined;
    return {
      name,
      valueFrom: { secretKeyRef: { name: this.ctx.names.postgresSecret, key: 'decisionReaderPassword' } },
    };
  }

  /** Env var with the read-only role's password (managed PostgreSQL with the Grafana datasource only). */
  readerPasswordEnv(name: string): EnvVar | undefined {
    if (!readerEnabled(this.ctx)) return undefined;
    return {
      name,
      valueFrom: { secretKeyRef: { name: this.ctx.names.postgresSecret, key: 'readerPassword' } },
    };
  }

  /** The read-only role's password, as rendered into the credentials Secret. */
  get readerPassword(): string | undefined {
    return this.values[this.ctx.names.postgresSecret]?.readerPassword;
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
