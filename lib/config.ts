/**
 * Typed configuration, validated once at start-up against one TypeBox schema.
 * Each setting names the environment variable it comes from, so errors name the setting.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads `env[envNames[key]]` for each property of `schema`, converts strings to the schema's types
 * (numbers, booleans, JSON arrays/objects), applies schema defaults, and validates.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  envNames: { [K in keyof Static<S>]-?: string },
  env: NodeJS.ProcessEnv = process.env,
): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(envNames) as Array<[string, string]>) {
    const text = env[envName];
    if (text === undefined || text === '') continue;
    const prop = schema.properties[key] as TSchema | undefined;
    raw[key] = coerce(text, prop);
  }
  const withDefaults = Value.Default(schema, Value.Clone(raw));
  const problems: string[] = [];
  for (const e of Value.Errors(schema, withDefaults)) {
    const key = e.path.split('/')[1] ?? '';
    const envName = (envNames as Record<string, string>)[key] ?? key;
    problems.push(
      `${envName}${e.path.split('/').length > 2 ? e.path.slice(key.length + 1) : ''}: ${e.message}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return withDefaults as Static<S>;
}

function coerce(text: string, schema: TSchema | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(text);
    } catch {
      return type === 'array' ? text.split(',').map((s) => s.trim()) : text;
    }
  }
  return text;
}
