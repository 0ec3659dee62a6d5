/**
 * The demo's fraud team, working the case queue through the cases REST API as people would: a lead
 * (ServiceAccount `fraud-lead`, bound to the chart's case-lead ClusterRole) assigns cases to an
 * analyst (`fraud-analyst`, case-analyst), who resolves them (noting some). Both authenticate with real
 * Kubernetes tokens (TokenRequest via `kubectl create token`), which the cases service checks with
 * TokenReview and a SubjectAccessReview per action.
 */
import type { CaseSummary } from '../workloads/cases/store.ts';
import { kubectl } from './cluster.ts';
import { type CaseAction, type PlanOptions, planCase } from './fraud-ops-plan.ts';

export interface Person {
  /** The Kubernetes user name the cases service sees. */
  user: string;
  token: string;
}

export interface FraudTeam {
  analyst: Person;
  lead: Person;
}

export const ANALYST_ACCOUNT = 'fraud-analyst';
export const LEAD_ACCOUNT = 'fraud-lead';
const TOKEN_DURATION = '2h';

/**
 * ServiceAccounts for an analyst and a lead in the pipeline's namespace, bound with RoleBindings to
 * the chart's ClusterRoles (found by their release label and name suffix), and a token for each.
 */
export function createFraudTeam(namespace: string, release: string): FraudTeam {
  const roles = kubectl(['get', 'clusterroles', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])
    .split('\n')
    .map((r) => r.replace(/^clusterrole\.rbac\.authorization\.k8s\.io\//, ''))
    .filter(Boolean);
  const role = (suffix: string) => {
    const found = roles.find((r) => r.endsWith(suffix));
    if (found === undefined)
      throw new Error(
        `the chart's ClusterRole *${suffix} is missing (caseRoles: false?); found ${roles.join(', ')}`,
      );
    return found;
  };
  const person = (account: string, clusterRole: string): Person => {
    const dryRun = (args: string[]) => kubectl([...args, '-n', namespace, '--dry-run=client', '-o', 'yaml']);
    kubectl(['apply', '-f', '-'], dryRun(['create', 'serviceaccount', account]));
    kubectl(
      ['apply', '-f', '-'],
      dryRun([
        'create',
        'rolebinding',
        account,
        `--clusterrole=${clusterRole}`,
        `--serviceaccount=${namespace}:${account}`,
      ]),
    );
    const token = kubectl([
      'create',
      'token',
      account,
      '-n',
      namespace,
      `--duration=${TOKEN_DURATION}`,
    ]).trim();
    return { user: `system:serviceaccount:${namespace}:${account}`, token };
  };
  return {
    analyst: person(ANALYST_ACCOUNT, role('-case-analyst')),
    lead: person(LEAD_ACCOUNT, role('-case-lead')),
  };
}

export class CasesApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A thin client of the cases API with one person's token. */
export class CasesClient {
  requests = 0;
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    // 503 means the API server could not check the token just then: retry, as the page does.
    for (let attempt = 1; ; attempt++) {
      this.requests++;
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(this.token === null ? {} : { authorization: `Bearer ${this.token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.ok) return JSON.parse(text) as T;
      if (res.status === 503 && attempt < 5) {
        await new Promise((r) => setTimeout(r, 500 * attempt));
        continue;
      }
      const detail = (() => {
        try {
          return (JSON.parse(text) as { detail?: string }).detail ?? text;
        } catch {
          return text;
        }
      })();
      throw new CasesApiError(res.status, `${method} ${path}: ${res.status} ${detail}`);
    }
  }

  /** The status code of a call that is expected to fail (0 if it succeeded). */
  async statusOf(method: 'GET' | 'POST', path: string, body?: unknown): Promise<number> {
    try {
      await this.call(method, path, body);
      return 0;
    } catch (err) {
      if (err instanceof CasesApiError) return err.status;
      throw err;
    }
  }
}

const PAGE = 200;

/** Every case of the given statuses, page by page (the queue's order). */
export async function listAll(client: CasesClient, statuses: string): Promise<CaseSummary[]> {
  const all: CaseSummary[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await client.call<{ total: number; cases: CaseSummary[] }>(
      'GET',
      `/v1/cases?status=${statuses}&limit=${PAGE}&offset=${offset}`,
    );
    all.push(...page.cases);
    if (all.length >= page.total || page.cases.length === 0) return all;
  }
}

export interface TeamWork {
  cases: number;
  resolved: { confirmed_fraud: number; legitimate: number; inconclusive: number };
  investigating: number;
  /** Notes the analyst wrote. */
  notes: number;
  leftOpen: number;
  /** Cases whose application the generator did not label (none expected). */
  unlabelled: number;
  /** API requests the team made. */
  requests: number;
  seconds: number;
  /** Refusals that show the RBAC is real: no token → 401; the analyst reassigning a case → 403. */
  refusals: { noToken: number; analystReassigns: number };
}

const NOTE: Record<string, (label: string) => string> = {
  confirmed_fraud: (l) =>
    `Evidence and linked applications reviewed; consistent with ${l.replace(/_/g, ' ')}. Confirmed fraud.`,
  legitimate: () => 'Evidence reviewed; the applicant checks out and the links are innocent. Legitimate.',
  inconclusive: () => 'Evidence reviewed; could not reach the applicant or decide either way. Inconclusive.',
};

/**
 * Works the open queue: the lead assigns each picked case to the analyst, who resolves it with the
 * verdict the label implies (with a note for some); some others are taken and put under investigation.
 */
export async function workTheQueue(
  baseUrl: string,
  team: FraudTeam,
  labels: ReadonlyMap<string, string>,
  plan: PlanOptions,
  concurrency = 8,
): Promise<TeamWork> {
  const t0 = Date.now();
  const analyst = new CasesClient(baseUrl, team.analyst.token);
  const lead = new CasesClient(baseUrl, team.lead.token);
  const cases = await listAll(analyst, 'open');
  const work: TeamWork = {
    cases: cases.length,
    resolved: { confirmed_fraud: 0, legitimate: 0, inconclusive: 0 },
    investigating: 0,
    notes: 0,
    leftOpen: 0,
    unlabelled: 0,
    requests: 0,
    seconds: 0,
    refusals: { noToken: 0, analystReassigns: 0 },
  };
  const planned: Array<{ c: CaseSummary; action: CaseAction }> = cases.map((c) => ({
    c,
    action: planCase(c.applicationId, labels.get(c.applicationId), plan),
  }));

  // The refusals first, on a case nobody will touch, so "nothing changed" is easy to see.
  const untouched = planned.find((p) => p.action.kind === 'leave')?.c ?? cases[0];
  if (untouched !== undefined) {
    const anonymous = new CasesClient(baseUrl, null);
    work.refusals.noToken = await anonymous.statusOf('GET', `/v1/cases/${untouched.caseId}`);
    work.refusals.analystReassigns = await analyst.statusOf(
      'POST',
      `/v1/cases/${untouched.caseId}/assignee`,
      {
        assignee: team.lead.user,
      },
    );
  }

  const act = async ({ c, action }: (typeof planned)[number]): Promise<void> => {
    const path = `/v1/cases/${c.caseId}`;
    if (action.kind === 'resolve') {
      await lead.call('POST', `${path}/assignee`, { assignee: team.analyst.user });
      if (action.note) {
        await analyst.call('POST', `${path}/notes`, { text: NOTE[action.verdict]?.(action.label) });
        work.notes++;
      }
      await analyst.call('POST', `${path}/status`, { status: action.verdict });
      work.resolved[action.verdict]++;
    } else if (action.kind === 'investigate') {
      await analyst.call('POST', `${path}/assignee`, { assignee: team.analyst.user });
      await analyst.call('POST', `${path}/status`, { status: 'investigating' });
      work.investigating++;
    } else if (action.why === 'no label') work.unlabelled++;
    else work.leftOpen++;
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < planned.length) {
        const item = planned[next++];
        if (item !== undefined) await act(item);
      }
    }),
  );
  work.requests = analyst.requests + lead.requests + 1;
  work.seconds = (Date.now() - t0) / 1000;
  return work;
}
