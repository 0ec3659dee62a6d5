/**
 * The contract exported as JSON Schema for readers outside this codebase (other languages, schema
 * registries, BI tools). Generated from the TypeBox definitions in application.ts, never edited by
 * hand: `npx tsx workloads/contract/json-schema.ts` rewrites the committed files, and a unit test
 * fails when they are stale.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import {
  ApplicationEventV1,
  ApplicationEventV2,
  ApplicationSubmission,
  EVENT_SCHEMA_VERSION,
  SCHEMA_VERSION,
} from './application.ts';

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/** File name (next to this module) → schema. The event schema is the topic's contract. */
export const SCHEMA_FILES = {
  [`${EVENT_SCHEMA_VERSION}.schema.json`]: {
    schema: ApplicationEventV2,
    description:
      'A loan application as it travels on Kafka (topic credit_apps, key = applicant.customerId): ' +
      'pseudonymized, the raw national ID replaced by nationalIdHash, stamped with the receipt time receivedAt.',
  },
  [`${SCHEMA_VERSION}.schema.json`]: {
    schema: ApplicationEventV1,
    description:
      'A loan application as it travelled on Kafka before credit.application.v2 (no receivedAt); ' +
      'readers still accept it and use the Kafka record timestamp as its receipt time.',
  },
  [`${SCHEMA_VERSION}.submission.schema.json`]: {
    schema: ApplicationSubmission,
    description:
      'A loan application as a client submits it to POST /v1/applications (contains the raw national ID, ' +
      'which never leaves the ingestion API).',
  },
} as const;

/** A plain JSON Schema document (TypeBox's symbol keys dropped), `$schema`, `$id`, `title` first. */
export function toJsonSchema(schema: TSchema, description?: string): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  const { $id, title, ...rest } = plain;
  return {
    $schema: JSON_SCHEMA_DIALECT,
    ...($id === undefined ? {} : { $id }),
    ...(title === undefined ? {} : { title }),
    ...(description === undefined ? {} : { description }),
    ...rest,
  };
}

/** File name → file content, exactly as committed. */
export function renderSchemaFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SCHEMA_FILES).map(([file, { schema, description }]) => [
      file,
      `${JSON.stringify(toJsonSchema(schema, description), null, 2)}\n`,
    ]),
  );
}

export const contractDir = dirname(fileURLToPath(import.meta.url));

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [file, text] of Object.entries(renderSchemaFiles())) {
    writeFileSync(join(contractDir, file), text);
    process.stdout.write(`wrote workloads/contract/${file}\n`);
  }
}
