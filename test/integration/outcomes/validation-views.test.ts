/**
 * The validation views of migration 0006 on the real PostgreSQL: first a small example computed by
 * hand, then generated applications scored by both built-in scorecards with generated outcomes,
 * checked view by view against the TypeScript reference maths (workloads/outcomes/validation-metrics.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoanOutcomeRecord } from '../../../api/loan-outcome.ts';
import {
  DEFAULT_OUTCOME_OPTIONS,
  OUTCOME_CSV_HEADER,
  outcomeCsvLine,
  outcomeOf,
} from '../../../workloads/generator/outcomes.ts';
import { loadOutcomes } from '../../../workloads/outcomes/load.ts';
import { checkOutcomeFile } from '../../../workloads/outcomes/outcome-file.ts';
import {
  characteristicPsi,
  discrimination,
  type ScoredOutcome,
} from '../../../workloads/outcomes/validation-metrics.ts';
import {
  type ActiveModel,
  BUILT_IN_CHALLENGER,
  BUILT_IN_CHAMPION,
  loadModelSet,
  registerModels,
} from '../../../workloads/risk-scorer/models.ts';
import { scoringInputFromEvent } from '../../../workloads/risk-scorer/scorecard/characteristics.ts';
import { scoreApplication } from '../../../workloads/risk-scorer/scorecard/score.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { createTestDatabase, type TestDatabase } from '../warehouse/support.ts';
import { appId, seedApplications } from './support.ts';

const models = loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER);
const [CHAMPION, CHALLENGER] = models.all.map((m) => m.key) as [string, string];
const TODAY = '2026-12-03';

interface ScoreRow {
  applicationId: string;
  model: ActiveModel;
  score: number;
  grade: string;
  pd: number;
  points: Record<string, { value: number | null; bin: number; points: number; pointsLost: number }>;
}

async function insertScores(pool: Pool, rows: readonly ScoreRow[]): Promise<void> {
  await pool.query(
    `INSERT INTO fact_credit_score (application_id, model_key, role, score, pd, grade, total_points, points,
                                    reason_codes, run_id, scored_at)
     SELECT a, m, r, s, p, g, s, pts, '{}', 'test', now()
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::float8[], $6::text[], $7::jsonb[])
       AS u(a, m, r, s, p, g, pts)`,
    [
      rows.map((r) => r.applicationId),
      rows.map((r) => r.model.key),
      rows.map((r) => r.model.role),
      rows.map((r) => r.score),
      rows.map((r) => r.pd),
      rows.map((r) => r.grade),
      rows.map((r) => JSON.stringify(r.points)),
    ],
  );
}

async function load(pool: Pool, outcomes: readonly LoanOutcomeRecord[], source: string): Promise<void> {
  const text = OUTCOME_CSV_HEADER + outcomes.map(outcomeCsvLine).join('');
  const report = await loadOutcomes(pool, checkOutcomeFile(text, { today: TODAY }), { sourceFile: source });
  expect(report.errors).toEqual([]);
  expect(report.inserted).toBe(outcomes.length);
}

const num = (x: unknown): number | null => (x === null ? null : Number(x));

describe('validation views on a hand-computed example', () => {
  let db: TestDatabase;
  let pool: Pool;
  const [champion, challenger] = models.all as [ActiveModel, ActiveModel];

  beforeAll(async () => {
    db = await createTestDatabase('outcomes_hand');
    pool = createPool(db.url);
    await seedApplications(pool, 12);
    await registerModels(pool, models);
    // Applications 0-7 have a 12-month outcome, 8-11 none (the recent sample).
    //   app          0    1    2    3    4    5    6    7    8    9   10   11
    //   outcome      D    D    R    D    R    R    D    R    -    -    -    -
    //   champion   520  560  600  600  650  700  720  760  650  650  650  650
    //   challenger 500  540  640  580  660  690  610  780  650  650  650  650
    //   bureau bin   0    0    1    1    2    2    2    2    0    0    1    2
    const championScores = [520, 560, 600, 600, 650, 700, 720, 760, 650, 650, 650, 650];
    const challengerScores = [500, 540, 640, 580, 660, 690, 610, 780, 650, 650, 650, 650];
    const bins = [0, 0, 1, 1, 2, 2, 2, 2, 0, 0, 1, 2];
    const grade = (s: number) =>
      s >= 760
        ? 'A'
        : s >= 720
          ? 'B'
          : s >= 680
            ? 'C'
            : s >= 640
              ? 'D'
              : s >= 600
                ? 'E'
                : s >= 560
                  ? 'F'
                  : 'G';
    const rows = (model: ActiveModel, scores: number[]): ScoreRow[] =>
      scores.map((score, i) => ({
        applicationId: appId(i),
        model,
        score,
        grade: grade(score),
        pd: 0.25,
        points: { bureauScore: { value: 600, bin: bins[i] as number, points: 10, pointsLost: 0 } },
      }));
    await insertScores(pool, [...rows(champion, championScores), ...rows(challenger, challengerScores)]);
    const d = 'defaulted' as const;
    const r = 'repaid' as const;
    await load(
      pool,
      [d, d, r, d, r, r, d, r].map((outcome, i) => ({
        applicationId: appId(i),
        outcome,
        horizonMonths: 12,
        observedDate: '2026-11-30',
      })),
      'hand-12.csv',
    );
    await load(
      pool,
      [{ applicationId: appId(0), outcome: d, horizonMonths: 24, observedDate: '2026-11-30' }],
      'hand-24.csv',
    );
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('rpt_model_performance: AUC, Gini, KS and bad rate per model and horizon', async () => {
    const { rows } = await pool.query(
      'SELECT * FROM rpt_model_performance ORDER BY model_key, horizon_months',
    );
    expect(rows.map((x) => ({ ...x, applications: num(x.applications), defaults: num(x.defaults) }))).toEqual(
      [
        // Champion: AUC = (2.5 + 3 + 3 + 4) / 16; KS = 0.5 first reached at 560 (2/4 bads, 0/4 repaid).
        {
          model_key: CHAMPION,
          role: 'champion',
          horizon_months: 12,
          applications: 8,
          defaults: 4,
          bad_rate: 0.5,
          mean_pd: 0.25,
          auc: 0.78125,
          gini: 0.5625,
          ks: 0.5,
          ks_score: 560,
        },
        // One application, one default: nothing to rank.
        {
          model_key: CHAMPION,
          role: 'champion',
          horizon_months: 24,
          applications: 1,
          defaults: 1,
          bad_rate: 1,
          mean_pd: 0.25,
          auc: null,
          gini: null,
          ks: null,
          ks_score: 520,
        },
        // Challenger separates perfectly: every repaid loan (640+) outscores every default (≤ 610).
        {
          model_key: CHALLENGER,
          role: 'challenger',
          horizon_months: 12,
          applications: 8,
          defaults: 4,
          bad_rate: 0.5,
          mean_pd: 0.25,
          auc: 1,
          gini: 1,
          ks: 1,
          ks_score: 610,
        },
        {
          model_key: CHALLENGER,
          role: 'challenger',
          horizon_months: 24,
          applications: 1,
          defaults: 1,
          bad_rate: 1,
          mean_pd: 0.25,
          auc: null,
          gini: null,
          ks: null,
          ks_score: 500,
        },
      ],
    );
  });

  it('rpt_bad_rate_by_grade: defaults and shares per grade', async () => {
    const { rows } = await pool.query(
      `SELECT grade, applications::int, defaults::int, bad_rate, min_score, max_score, share
       FROM rpt_bad_rate_by_grade WHERE model_key = $1 AND horizon_months = 12 ORDER BY grade`,
      [CHAMPION],
    );
    expect(rows).toEqual([
      { grade: 'A', applications: 1, defaults: 0, bad_rate: 0, min_score: 760, max_score: 760, share: 0.125 },
      { grade: 'B', applications: 1, defaults: 1, bad_rate: 1, min_score: 720, max_score: 720, share: 0.125 },
      { grade: 'C', applications: 1, defaults: 0, bad_rate: 0, min_score: 700, max_score: 700, share: 0.125 },
      { grade: 'D', applications: 1, defaults: 0, bad_rate: 0, min_score: 650, max_score: 650, share: 0.125 },
      {
        grade: 'E',
        applications: 2,
        defaults: 1,
        bad_rate: 0.5,
        min_score: 600,
        max_score: 600,
        share: 0.25,
      },
      { grade: 'F', applications: 1, defaults: 1, bad_rate: 1, min_score: 560, max_score: 560, share: 0.125 },
      { grade: 'G', applications: 1, defaults: 1, bad_rate: 1, min_score: 520, max_score: 520, share: 0.125 },
    ]);
  });

  it('rpt_champion_challenger_outcomes: both models on the same outcomes, and what each would approve', async () => {
    const { rows } = await pool.query(
      'SELECT * FROM rpt_champion_challenger_outcomes WHERE horizon_months = 12',
    );
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect({ ...row, applications: num(row.applications), defaults: num(row.defaults) }).toEqual({
      champion_model: CHAMPION,
      challenger_model: CHALLENGER,
      horizon_months: 12,
      applications: 8,
      defaults: 4,
      bad_rate: 0.5,
      champion_auc: 0.78125,
      challenger_auc: 1,
      champion_gini: 0.5625,
      challenger_gini: 1,
      gini_delta: 0.4375,
      champion_ks: 0.5,
      challenger_ks: 1,
      // Champion approves ≥ 660: 700 R, 720 D, 760 R. Challenger ≥ 665: 690 R, 780 R.
      champion_approve_rate: 0.375,
      challenger_approve_rate: 0.25,
      champion_approved_bad_rate: 1 / 3,
      challenger_approved_bad_rate: 0,
    });
  });

  it('rpt_characteristic_bins and rpt_characteristic_stability: PSI per characteristic, reference vs recent', async () => {
    const bins = (
      await pool.query(
        `SELECT bin, bin_label, characteristic_label, reference_applications::int, recent_applications::int,
                reference_share, recent_share, psi_contribution, reference_defaults::int, reference_bad_rate
         FROM rpt_characteristic_bins WHERE model_key = $1 AND horizon_months = 12 ORDER BY bin`,
        [CHAMPION],
      )
    ).rows;
    // Reference shares 2/8, 2/8, 4/8; recent 2/4, 1/4, 1/4.
    expect(bins.map((b) => ({ ...b, psi_contribution: Number(b.psi_contribution.toFixed(12)) }))).toEqual([
      {
        bin: 0,
        bin_label: '[-inf, 500)',
        characteristic_label: 'Credit bureau score',
        reference_applications: 2,
        recent_applications: 2,
        reference_share: 0.25,
        recent_share: 0.5,
        psi_contribution: Number((0.25 * Math.LN2).toFixed(12)),
        reference_defaults: 2,
        reference_bad_rate: 1,
      },
      {
        bin: 1,
        bin_label: '[500, 580)',
        characteristic_label: 'Credit bureau score',
        reference_applications: 2,
        recent_applications: 1,
        reference_share: 0.25,
        recent_share: 0.25,
        psi_contribution: 0,
        reference_defaults: 1,
        reference_bad_rate: 0.5,
      },
      {
        bin: 2,
        bin_label: '[580, 640)',
        characteristic_label: 'Credit bureau score',
        reference_applications: 4,
        recent_applications: 1,
        reference_share: 0.5,
        recent_share: 0.25,
        psi_contribution: Number((0.25 * Math.LN2).toFixed(12)),
        reference_defaults: 1,
        reference_bad_rate: 0.25,
      },
    ]);
    const stability = (
      await pool.query(
        `SELECT model_key, horizon_months, characteristic, bins::int, reference_applications::int,
                recent_applications::int, psi
         FROM rpt_characteristic_stability ORDER BY model_key, horizon_months`,
      )
    ).rows;
    // Horizon 24: the reference is application 0 alone (bin 0); the other 11 are recent: 3, 3 and 5
    // in bins 0, 1, 2 — the reference's empty bins floored at 1e-4.
    const psi24 =
      (3 / 11 - 1) * Math.log(3 / 11) +
      (3 / 11 - 1e-4) * Math.log(3 / 11 / 1e-4) +
      (5 / 11 - 1e-4) * Math.log(5 / 11 / 1e-4);
    expect(stability).toHaveLength(4);
    for (const model of [CHAMPION, CHALLENGER]) {
      const at = (h: number) => stability.find((s) => s.model_key === model && s.horizon_months === h);
      expect(at(12)).toMatchObject({
        characteristic: 'bureauScore',
        bins: 3,
        reference_applications: 8,
        recent_applications: 4,
      });
      expect(at(12)?.psi).toBeCloseTo(0.5 * Math.LN2, 12);
      expect(at(24)).toMatchObject({ bins: 3, reference_applications: 1, recent_applications: 11 });
      expect(at(24)?.psi).toBeCloseTo(psi24, 12);
    }
  });
});

describe('validation views on generated data, against the TypeScript reference', () => {
  let db: TestDatabase;
  let pool: Pool;
  const N = 1500;
  const scores = new Map<string, ScoreRow[]>(); // model key → rows
  const outcomes = new Map<number, Map<string, boolean>>(); // horizon → application → defaulted

  beforeAll(async () => {
    db = await createTestDatabase('outcomes_generated');
    pool = createPool(db.url);
    const apps = await seedApplications(pool, N, 7);
    await registerModels(pool, models);
    for (const m of models.all) scores.set(m.key, []);
    for (const app of apps) {
      const input = scoringInputFromEvent(app);
      for (const m of models.all) {
        const s = scoreApplication(m.model, input);
        const points: ScoreRow['points'] = {};
        for (const c of s.characteristics)
          points[c.id] = { value: c.value, bin: c.bin, points: c.points, pointsLost: c.pointsLost };
        scores.get(m.key)?.push({
          applicationId: app.applicationId,
          model: m,
          score: s.score,
          grade: s.grade,
          pd: s.pd,
          points,
        });
      }
    }
    await insertScores(pool, [...scores.values()].flat());
    // 12-month outcomes for about 75%, 24-month for about 40%; every 15th application is fraud.
    for (const [horizonMonths, share, seed] of [
      [12, 0.75, 1],
      [24, 0.4, 2],
    ] as const) {
      const records = apps.flatMap((app, i) => {
        const submission = { ...app, applicant: { ...app.applicant, nationalId: 'x' } };
        const o = outcomeOf(submission as never, i % 15 === 0 ? 'synthetic_identity' : 'legitimate', {
          ...DEFAULT_OUTCOME_OPTIONS,
          seed,
          horizonMonths,
          share,
          observedDate: '2026-11-30',
        });
        return o === null ? [] : [o];
      });
      outcomes.set(horizonMonths, new Map(records.map((o) => [o.applicationId, o.outcome === 'defaulted'])));
      await load(pool, records, `generated-${horizonMonths}.csv`);
    }
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const sampleOf = (modelKey: string, horizon: number): ScoredOutcome[] =>
    (scores.get(modelKey) ?? []).flatMap((r) => {
      const d = outcomes.get(horizon)?.get(r.applicationId);
      return d === undefined ? [] : [{ score: r.score, defaulted: d }];
    });

  it('rpt_model_performance equals the reference for every model and horizon', async () => {
    const { rows } = await pool.query(
      'SELECT * FROM rpt_model_performance ORDER BY model_key, horizon_months',
    );
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const ref = discrimination(sampleOf(row.model_key, row.horizon_months));
      expect(ref.auc).not.toBeNull();
      expect(num(row.applications)).toBe(ref.applications);
      expect(num(row.defaults)).toBe(ref.defaults);
      expect(row.bad_rate).toBeCloseTo(ref.defaults / ref.applications, 12);
      expect(row.auc).toBeCloseTo(ref.auc as number, 12);
      expect(row.gini).toBeCloseTo(ref.gini as number, 12);
      expect(row.ks).toBeCloseTo(ref.ks as number, 12);
      expect(row.ks_score).toBe(ref.ksScore);
      // The scorecards rank the generated outcomes (plausible, not perfect).
      expect(row.gini).toBeGreaterThan(0.2);
      expect(row.gini).toBeLessThan(0.95);
    }
  });

  it('rpt_bad_rate_by_grade equals the reference, and bad rates fall from grade G to A', async () => {
    const { rows } = await pool.query(
      `SELECT model_key, horizon_months, grade, applications::int, defaults::int, bad_rate, mean_pd, share
       FROM rpt_bad_rate_by_grade`,
    );
    for (const m of models.all)
      for (const h of [12, 24]) {
        const byGrade = new Map<string, { n: number; d: number; pd: number }>();
        let total = 0;
        for (const r of scores.get(m.key) ?? []) {
          const d = outcomes.get(h)?.get(r.applicationId);
          if (d === undefined) continue;
          total++;
          const g = byGrade.get(r.grade) ?? { n: 0, d: 0, pd: 0 };
          byGrade.set(r.grade, { n: g.n + 1, d: g.d + (d ? 1 : 0), pd: g.pd + r.pd });
        }
        const mine = rows.filter((r) => r.model_key === m.key && r.horizon_months === h);
        expect(mine.map((r) => r.grade).sort()).toEqual([...byGrade.keys()].sort());
        for (const r of mine) {
          const g = byGrade.get(r.grade)!;
          expect([r.applications, r.defaults]).toEqual([g.n, g.d]);
          expect(r.bad_rate).toBeCloseTo(g.d / g.n, 12);
          expect(r.mean_pd).toBeCloseTo(g.pd / g.n, 12);
          expect(r.share).toBeCloseTo(g.n / total, 12);
        }
        const worst = mine.filter((r) => r.grade === 'G' || r.grade === 'F');
        const best = mine.filter((r) => r.grade === 'A' || r.grade === 'B');
        const rate = (xs: typeof mine) =>
          xs.reduce((s, r) => s + r.defaults, 0) / xs.reduce((s, r) => s + r.applications, 0);
        expect(rate(worst)).toBeGreaterThan(rate(best));
      }
  });

  it('rpt_champion_challenger_outcomes equals the reference on the common sample', async () => {
    const { rows } = await pool.query(
      'SELECT * FROM rpt_champion_challenger_outcomes ORDER BY horizon_months',
    );
    expect(rows.map((r) => r.horizon_months)).toEqual([12, 24]);
    for (const row of rows) {
      const champion = discrimination(sampleOf(CHAMPION, row.horizon_months));
      const challenger = discrimination(sampleOf(CHALLENGER, row.horizon_months));
      expect(num(row.applications)).toBe(champion.applications);
      expect(row.champion_auc).toBeCloseTo(champion.auc as number, 12);
      expect(row.challenger_auc).toBeCloseTo(challenger.auc as number, 12);
      expect(row.gini_delta).toBeCloseTo((challenger.gini as number) - (champion.gini as number), 12);
      expect(row.champion_ks).toBeCloseTo(champion.ks as number, 12);
      expect(row.challenger_ks).toBeCloseTo(challenger.ks as number, 12);
      for (const [m, col] of [
        [models.champion, 'champion'],
        [models.challengers[0]!, 'challenger'],
      ] as const) {
        const cutoff = m.model.policy.approveMinScore;
        const sample = sampleOf(m.key, row.horizon_months);
        const approved = sample.filter((s) => s.score >= cutoff);
        expect(row[`${col}_approve_rate`]).toBeCloseTo(approved.length / sample.length, 12);
        expect(row[`${col}_approved_bad_rate`]).toBeCloseTo(
          approved.filter((s) => s.defaulted).length / approved.length,
          12,
        );
      }
    }
  });

  it('rpt_characteristic_stability equals the reference PSI for every characteristic', async () => {
    const { rows } = await pool.query(
      `SELECT model_key, horizon_months, characteristic, reference_applications::int, recent_applications::int, psi
       FROM rpt_characteristic_stability`,
    );
    expect(rows).toHaveLength(2 * 2 * models.champion.model.characteristics.length);
    for (const row of rows) {
      const reference = new Map<number, number>();
      const recent = new Map<number, number>();
      for (const r of scores.get(row.model_key) ?? []) {
        const bin = r.points[row.characteristic]?.bin as number;
        const into = outcomes.get(row.horizon_months)?.has(r.applicationId) ? reference : recent;
        into.set(bin, (into.get(bin) ?? 0) + 1);
      }
      const count = (m: Map<number, number>) => [...m.values()].reduce((s, n) => s + n, 0);
      expect([row.reference_applications, row.recent_applications]).toEqual([
        count(reference),
        count(recent),
      ]);
      expect(row.psi).toBeCloseTo(characteristicPsi(reference, recent) as number, 12);
      // Outcomes picked by application id, not by characteristic: the two samples are alike.
      expect(row.psi).toBeLessThan(0.1);
    }
  });
});
