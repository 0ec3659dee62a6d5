/**
 * The committed build outputs of dashboards/, as file contents keyed by path relative to the
 * repository root. `dashboards/build.ts` writes them; a unit test fails when the committed files
 * are stale.
 */

import { rulesFile } from './alerts/rules-file.ts';
import { composeDashboards } from './compose.ts';

export const GENERATED_DIR = 'dashboards/generated';

export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, json] of Object.entries(composeDashboards())) {
    files[`${GENERATED_DIR}/${name}.json`] = `${JSON.stringify(json, null, 2)}\n`;
  }
  files[`${GENERATED_DIR}/alerts.rules.yml`] = rulesFile();
  return files;
}
