/**
 * TypeBox's compiled validators reject every `format` they do not know ("Unknown format 'uuid'"),
 * and the contract (workloads/contract) does not register its formats yet. Until it does, this module
 * registers the formats the contract uses, only where none is registered (so the contract's own
 * registration, once it exists, wins). Import it before validating.
 */
import { FormatRegistry } from '@sinclair/typebox';

const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i,
  date: /^\d{4}-\d{2}-\d{2}$/,
  email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
};

for (const [name, pattern] of Object.entries(FORMATS)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, (value) => pattern.test(value));
}
