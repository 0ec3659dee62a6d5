/**
 * The demo's model validation on loan outcomes: the generator wrote an outcome for a share of the
 * accepted applications (workloads/generator/outcomes.ts); this module loads that CSV the way an
 * operator would (`credit-platform load-outcomes --file … --json`, a process of this checkout against
 * the pipeline's warehouse), reads the validation views of migration 0006, and says what the report
 * shows and which checks the run must pass.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type pg from 'pg';
import { repoRoot, stateDir } from '../infra/lib/paths.ts';
import type { LoadReport } from '../workloads/outcomes/load.ts';

/** Where the demo's generator writes the outcomes it invents. */
export const DEMO_OUTCOMES_FILE = join(stateDir, 'demo', 'outcomes.csv');

export interface ModelValidation {
  modelKey: string;
  role: string;
  applications: number;
  defaults: number;
  badRate: number;
  meanPd: number;
  auc: number | null;
  gini: number | null;
  ks: number | null;
  ksScore: number | null;
}

export interface GradeValidation {
  modelKey: string;
  grade: string;
  applications: number;
  badRate: number;
  meanPd: number;
}

export interface ChampionChallengerValidation {
  championModel: string;
  challengerModel: string;
  applications: number;
  championGini: number | null;
  challengerGini: number | null;
  giniDelta: number | null;
  championKs: number | null;
  challengerKs: number | null;
  championApproveRate: number;
  challengerApproveRate: number;
  championApprovedBadRate: number | null;
  challengerApprovedBadRate: number | null;
}

export interface CharacteristicStability {
  modelKey: string;
  characteristic: string;
  label: string;
  referenceApplications: number;
  recentApplications: number;
  psi: number | null;
}

export interface ValidationSummary {
  /** What `load-outcomes --json` reported. */
  load: Pick<
    LoadReport,
    'sourceFile' | 'rowsRead' | 'valid' | 'rejected' | 'inserted' | 'updated' | 'unchanged'
  >;
  horizonMonths: number | null;
  models: ModelValidation[];
  grades: GradeValidation[];
  championChallenger: ChampionChallengerValidation[];
  stability: CharacteristicStability[];
}

/** Runs `credit-platform load-outcomes --file FILE --json` against the warehouse; its report. */
export async function loadOutcomesFile(databaseUrl: string, file: string): Promise<LoadReport> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', 'load-outcomes', '--file', file, '--json'],
        {
          cwd: repoRoot,
          env: { ...process.env, DATABASE_URL: databaseUrl },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  if (code !== 0) throw new Error(`load-outcomes exited ${code}: ${stderr.slice(0, 2000)}${stdout}`);
  return JSON.parse(stdout) as LoadReport;
}

const n = (x: unknown): number => Number(x);
const nOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));

/** Reads the validation views for the horizon with the most outcomes. */
export async function readValidation(
  db: pg.Client,
  load: ValidationSummary['load'],
): Promise<ValidationSummary> {
  const q = async (sql: string, params: unknown[] = []) =>
    (await db.query<Record<string, unknown>>(sql, params)).rows;
  const horizon = nOrNull(
    (await q('SELECT horizon_months FROM fact_loan_outcome GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'))[0]
      ?.horizon_months,
  );
  const models = (
    await q('SELECT * FROM rpt_model_performance WHERE horizon_months = $1 ORDER BY role, model_key', [
      horizon,
    ])
  ).map(
    (r): ModelValidation => ({
      modelKey: String(r.model_key),
      role: String(r.role),
      applications: n(r.applications),
      defaults: n(r.defaults),
      badRate: n(r.bad_rate),
      meanPd: n(r.mean_pd),
      auc: nOrNull(r.auc),
      gini: nOrNull(r.gini),
      ks: nOrNull(r.ks),
      ksScore: nOrNull(r.ks_score),
    }),
  );
  const grades = (
    await q(
      'SELECT model_key, grade, applications, bad_rate, mean_pd FROM rpt_bad_rate_by_grade WHERE horizon_months = $1 ORDER BY model_key, grade',
      [horizon],
    )
  ).map(
    (r): GradeValidation => ({
      modelKey: String(r.model_key),
      grade: String(r.grade),
      applications: n(r.applications),
      badRate: n(r.bad_rate),
      meanPd: n(r.mean_pd),
    }),
  );
  const championChallenger = (
    await q('SELECT * FROM rpt_champion_challenger_outcomes WHERE horizon_months = $1 ORDER BY 1, 2', [
      horizon,
    ])
  ).map(
    (r): ChampionChallengerValidation => ({
      championModel: String(r.champion_model),
      challengerModel: String(r.challenger_model),
      applications: n(r.applications),
      championGini: nOrNull(r.champion_gini),
      challengerGini: nOrNull(r.challenger_gini),
      giniDelta: nOrNull(r.gini_delta),
      championKs: nOrNull(r.champion_ks),
      challengerKs: nOrNull(r.challenger_ks),
      championApproveRate: n(r.champion_approve_rate),
      challengerApproveRate: n(r.challenger_approve_rate),
      championApprovedBadRate: nOrNull(r.champion_approved_bad_rate),
      challengerApprovedBadRate: nOrNull(r.challenger_approved_bad_rate),
    }),
  );
  const stability = (
    await q(
      `SELECT model_key, characteristic, characteristic_label, reference_applications, recent_applications, psi
       FROM rpt_characteristic_stability WHERE horizon_months = $1 ORDER BY model_key, psi DESC NULLS LAST`,
      [horizon],
    )
  ).map(
    (r): CharacteristicStability => ({
      modelKey: String(r.model_key),
      characteristic: String(r.characteristic),
      label: String(r.characteristic_label ?? r.characteristic),
      referenceApplications: n(r.reference_applications),
      recentApplications: n(r.recent_applications),
      psi: nOrNull(r.psi),
    }),
  );
  return { load, horizonMonths: horizon, models, grades, championChallenger, stability };
}

/** Loads the generated outcomes, then reads the views. */
export async function validateOnOutcomes(
  db: pg.Client,
  databaseUrl: string,
  file: string = DEMO_OUTCOMES_FILE,
): Promise<ValidationSummary> {
  const r = await loadOutcomesFile(databaseUrl, file);
  return readValidation(db, {
    sourceFile: r.sourceFile,
    rowsRead: r.rowsRead,
    valid: r.valid,
    rejected: r.rejected,
    inserted: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
  });
}

/** The checks a demo run must pass on outcomes (each with what was expected and what was seen). */
export function validationChecks(v: ValidationSummary): Array<{ name: string; ok: boolean; detail: string }> {
  const champion = v.models.find((m) => m.role === 'champion');
  const perModel = new Map<string, number>();
  for (const s of v.stability)
    if (s.psi !== null) perModel.set(s.modelKey, (perModel.get(s.modelKey) ?? 0) + 1);
  return [
    {
      name: 'loan outcomes loaded, every line valid',
      ok:
        v.load.rowsRead > 0 &&
        v.load.rejected === 0 &&
        v.load.inserted + v.load.unchanged + v.load.updated === v.load.rowsRead,
      detail: `${v.load.rowsRead} rows, ${v.load.inserted} inserted, ${v.load.rejected} rejected`,
    },
    {
      name: 'validation views rank the outcomes (champion Gini > 0, a challenger compared)',
      ok: (champion?.gini ?? 0) > 0 && v.championChallenger.length > 0,
      detail: `champion Gini ${fmt(champion?.gini ?? null, 3)}, ${v.championChallenger.length} champion/challenger pair(s)`,
    },
    {
      name: 'stability computed per characteristic for every model',
      ok: v.models.length > 0 && v.models.every((m) => (perModel.get(m.modelKey) ?? 0) > 0),
      detail: [...perModel].map(([m, c]) => `${m}: ${c} characteristics`).join(', ') || 'none',
    },
  ];
}

const fmt = (x: number | null, digits: number): string => (x === null ? 'n/a' : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/** What the terminal summary prints. */
export function validationLines(v: ValidationSummary): string[] {
  const pad = '                 ';
  return [
    `  outcomes       ${v.load.rowsRead} loaded from ${v.load.sourceFile} (${v.load.inserted} new), ${v.horizonMonths ?? '?'}-month horizon`,
    ...v.models.map(
      (m) =>
        `${pad}${m.modelKey} (${m.role}): Gini ${fmt(m.gini, 3)}, KS ${fmt(m.ks, 3)}, bad rate ${pct(m.badRate)} vs mean PD ${pct(m.meanPd)} on ${m.applications}`,
    ),
    ...v.championChallenger.map(
      (c) =>
        `${pad}challenger ${c.challengerModel} vs champion: Gini ${c.giniDelta !== null && c.giniDelta >= 0 ? '+' : ''}${fmt(c.giniDelta, 3)}; approved bad rate ${pct(c.challengerApprovedBadRate)} vs ${pct(c.championApprovedBadRate)}`,
    ),
    ...v.stability
      .filter((s) => s.modelKey === v.models.find((m) => m.role === 'champion')?.modelKey)
      .slice(0, 3)
      .map(
        (s) => `${pad}PSI ${fmt(s.psi, 4)}  ${s.label} (validation sample vs ${s.recentApplications} recent)`,
      ),
  ];
}

/** The report's tables: title, a sentence on what it shows, headers, rows. */
export function validationTables(
  v: ValidationSummary,
): Array<{ title: string; note: string; headers: string[]; rows: Array<Array<string | number>> }> {
  return [
    {
      title: 'Discrimination per model (rpt_model_performance)',
      note: `Applications with a ${v.horizonMonths ?? '?'}-month outcome (${v.load.rowsRead} loaded with load-outcomes). AUC: the chance a repaid loan scored above a defaulted one; Gini = 2·AUC − 1; KS: the largest gap between the score distributions of defaults and repaid loans.`,
      headers: [
        'model',
        'role',
        'applications',
        'defaults',
        'bad rate',
        'mean PD',
        'AUC',
        'Gini',
        'KS',
        'KS at score',
      ],
      rows: v.models.map((m) => [
        m.modelKey,
        m.role,
        m.applications,
        m.defaults,
        pct(m.badRate),
        pct(m.meanPd),
        fmt(m.auc, 3),
        fmt(m.gini, 3),
        fmt(m.ks, 3),
        m.ksScore ?? 'n/a',
      ]),
    },
    {
      title: 'Champion vs challenger on the same outcomes (rpt_champion_challenger_outcomes)',
      note: 'Both models on the applications each scored, in those roles, with an outcome; approvals at each model’s own approveMinScore.',
      headers: [
        'champion',
        'challenger',
        'applications',
        'Gini (champion)',
        'Gini (challenger)',
        'Δ Gini',
        'KS (champion)',
        'KS (challenger)',
        'approve rate (ch. / chal.)',
        'bad rate of approved (ch. / chal.)',
      ],
      rows: v.championChallenger.map((c) => [
        c.championModel,
        c.challengerModel,
        c.applications,
        fmt(c.championGini, 3),
        fmt(c.challengerGini, 3),
        fmt(c.giniDelta, 3),
        fmt(c.championKs, 3),
        fmt(c.challengerKs, 3),
        `${pct(c.championApproveRate)} / ${pct(c.challengerApproveRate)}`,
        `${pct(c.championApprovedBadRate)} / ${pct(c.challengerApprovedBadRate)}`,
      ]),
    },
    {
      title: 'Bad rate by grade (rpt_bad_rate_by_grade)',
      note: 'Observed bad rate next to the mean PD the model predicted for the grade.',
      headers: ['model', 'grade', 'applications', 'bad rate', 'mean PD'],
      rows: v.grades.map((g) => [g.modelKey, g.grade, g.applications, pct(g.badRate), pct(g.meanPd)]),
    },
    {
      title: 'Stability per characteristic (rpt_characteristic_stability)',
      note: 'PSI of each characteristic’s bins: the validation sample (applications with an outcome) against the recent applications without one. < 0.1 stable, 0.1–0.25 some shift, > 0.25 a shift.',
      headers: ['model', 'characteristic', 'validation sample', 'recent', 'PSI'],
      rows: v.stability.map((s) => [
        s.modelKey,
        s.label,
        s.referenceApplications,
        s.recentApplications,
        fmt(s.psi, 4),
      ]),
    },
  ];
}
