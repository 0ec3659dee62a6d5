/**
 * Prometheus's own checks of the generated rules file: `promtool check rules` (syntax, templates)
 * and `promtool test rules` (the unit tests with input series in dashboards/alerts/tests/).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alertRuleGroups } from '../../../dashboards/alerts/rules.ts';
import { rulesFile as renderRulesFile } from '../../../dashboards/alerts/rules-file.ts';
import { requireInfra } from '../../../infra/lib/state.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const rulesFile = join(root, 'dashboards', 'generated', 'alerts.rules.yml');
const testsDir = join(root, 'dashboards', 'alerts', 'tests');
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join(testsDir, f));

describe('alert rules under promtool', () => {
  const promtool = requireInfra('tools').promtool;

  it('check rules accepts the generated rules file', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', rulesFile]);
    const rules = alertRuleGroups().flatMap((g) => g.rules).length;
    expect(stdout).toContain(`SUCCESS: ${rules} rules found`);
  });

  it('test rules passes every rule unit test', async () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(2);
    const { stdout } = await run(promtool, ['test', 'rules', ...testFiles]);
    expect(stdout.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  it('test rules fails when a rule no longer behaves as its test expects', async () => {
    // The same tests against rules whose PSI threshold was raised above the test's 0.3: the
    // ScorecardPopulationShift case must fail, proving the tests look at the rules.
    const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
    mkdirSync(join(dir, 'alerts', 'tests'), { recursive: true });
    mkdirSync(join(dir, 'generated'));
    writeFileSync(join(dir, 'generated', 'alerts.rules.yml'), renderRulesFile({ psiThreshold: 0.5 }));
    const copy = join(dir, 'alerts', 'tests', 'risk-scoring-and-operator.yml');
    copyFileSync(join(testsDir, 'risk-scoring-and-operator.yml'), copy);
    const failed = await run(promtool, ['test', 'rules', copy]).then(
      () => null,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    expect(failed).toMatch(/FAILED[\s\S]*ScorecardPopulationShift/);
  });
});
