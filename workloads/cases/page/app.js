// The analysts' page: hash routes (#/ queue, #/cases/<id>, #/rules) over the cases API. Every value is
// put in the page with textContent, never as markup; the token lives in sessionStorage only.

const TOKEN_KEY = 'cases.token';
const PAGE_SIZE = 50;
const $ = (id) => document.getElementById(id);
const state = { offset: 0, total: 0, me: null, precision: new Map() };

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c);
    else td.textContent = c === null || c === undefined ? '' : String(c);
    tr.append(td);
  }
  return tr;
}

function show(message, kind = 'error') {
  const m = $('message');
  m.textContent = message;
  m.className = kind;
  m.hidden = message === '';
}

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${token()}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      route();
    }
    throw new ApiError(res.status, `${res.status} ${body.title ?? ''}: ${body.detail ?? ''}`);
  }
  return body;
}

function age(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function pct(p) {
  return p === null || p === undefined ? 'no verdicts yet' : `${(p * 100).toFixed(0)}%`;
}

function badge(text, kind) {
  return el('span', text.replace('_', ' '), { class: `badge ${kind}-${text}` });
}

function sections(visible) {
  for (const id of ['login', 'queue', 'case', 'rules']) $(id).hidden = id !== visible;
}

async function loadMe() {
  if (state.me !== null) return state.me;
  state.me = await api('/v1/whoami');
  $('whoami').textContent = state.me.username;
  $('sign-out').hidden = false;
  return state.me;
}

async function loadPrecision() {
  const p = await api('/v1/rules/precision?days=14');
  state.precision = new Map();
  for (const r of p.rules) state.precision.set(`${r.ruleId}@${r.ruleVersion}`, r);
  const select = $('f-rule');
  const current = select.value;
  const ids = [...new Set(p.rules.map((r) => r.ruleId))].sort();
  select.replaceChildren(
    el('option', 'Any', { value: '' }),
    ...ids.map((id) => el('option', id, { value: id })),
  );
  select.value = ids.includes(current) ? current : '';
  return p;
}

async function showQueue() {
  sections('queue');
  await loadPrecision();
  const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset) });
  if ($('f-status').value !== '') q.set('status', $('f-status').value);
  if ($('f-severity').value !== '') q.set('severity', $('f-severity').value);
  if ($('f-rule').value !== '') q.set('rule', $('f-rule').value);
  if ($('f-age').value !== '') {
    const [k, v] = $('f-age').value.split('=');
    q.set(k, v);
  }
  const page = await api(`/v1/cases?${q}`);
  state.total = page.total;
  const tbody = $('queue-table').querySelector('tbody');
  tbody.replaceChildren(
    ...page.cases.map((c) => {
      const link = el('a', `#${c.caseId}`, { href: `#/cases/${c.caseId}` });
      const tr = row([
        link,
        badge(c.severity, 'sev'),
        badge(c.status, 'st'),
        c.rules.join(', '),
        c.alertCount,
        c.assignee ?? '',
        age(c.openedAt),
        c.applicationId.slice(0, 8),
      ]);
      tr.dataset.caseId = String(c.caseId);
      return tr;
    }),
  );
  const from = page.total === 0 ? 0 : page.offset + 1;
  $('queue-count').textContent = `${from}–${page.offset + page.cases.length} of ${page.total} cases`;
  $('prev').disabled = state.offset === 0;
  $('next').disabled = state.offset + PAGE_SIZE >= state.total;
}

function evidenceText(e) {
  const parts = [];
  if (e.keyField) parts.push(`same ${e.keyField}`);
  if (e.count !== undefined)
    parts.push(`${e.count} applications in ${Math.round((e.windowMs ?? 0) / 60000)} min`);
  if (e.distinctCount !== undefined) parts.push(`${e.distinctCount} distinct ${e.distinctField}`);
  if (e.threshold !== undefined) parts.push(`threshold ${e.threshold}`);
  if (e.list) parts.push(`list ${e.list}`);
  if (e.windowStart) parts.push(`window ${e.windowStart.slice(11, 19)}–${(e.windowEnd ?? '').slice(11, 19)}`);
  return parts.length > 0 ? parts.join('; ') : JSON.stringify(e);
}

async function showCase(id) {
  sections('case');
  const [me, c] = await Promise.all([loadMe(), api(`/v1/cases/${id}`), loadPrecision()]);
  $('case-title').replaceChildren(
    el('span', `Case #${c.caseId} `),
    badge(c.severity, 'sev'),
    el('span', ' '),
    badge(c.status, 'st'),
  );
  $('case-meta').textContent =
    `Application ${c.applicationId} · opened ${age(c.openedAt)} ago · assignee ${c.assignee ?? 'nobody'}` +
    (c.resolvedBy ? ` · resolved by ${c.resolvedBy}` : '');
  const resolved = c.resolvedAt !== null;
  $('act-take').hidden = resolved || c.assignee === me.username || !me.verbs.update;
  $('assign-other').hidden = resolved || !me.verbs.assign;
  $('act-investigate').hidden = c.status !== 'open' || !me.verbs.update;
  $('resolve-buttons').hidden = resolved || !me.verbs.resolve;
  $('act-note').disabled = !me.verbs.update;
  $('case').dataset.caseId = String(c.caseId);

  const f = c.facts;
  const facts = f
    ? [
        ['Submitted', f.submittedAt],
        ['National-ID hash', f.nationalIdHash],
        ['Customer reference hash', f.customerRefHash ?? ''],
        ['Country', f.addressCountry ?? ''],
        ['Loan', `${f.loanAmount} ${f.currency} over ${f.termMonths} months (${f.purpose})`],
        ['Employment', `${f.employmentStatus}, ${f.monthsInJob} months, income ${f.annualIncome}`],
        ['Bureau score', f.bureauScore ?? 'none'],
        ['Channel', `${f.channelType}${f.geoCountry ? `, ${f.geoCountry}` : ''}`],
      ]
    : [['Application', 'not in the warehouse yet']];
  // The credit decision as issued (a record the case never changes) and, if superseded, as it stands.
  const d = c.decision;
  const recordText = (x) =>
    `${x.decision} — record ${x.recordId}, ${x.source}, ${x.modelKey}, ${x.issuedAt}` +
    (x.reasonCodes.length > 0 ? `, reasons ${x.reasonCodes.join(' ')}` : '');
  if (!d) facts.push(['Decision', 'not decided yet']);
  else {
    facts.push(['Decision as issued', recordText(d.issued)]);
    if (d.current)
      facts.push(['Current decision', `${recordText(d.current)} (${d.current.supersedeReason})`]);
    if (d.reviewApproval)
      facts.push([
        'Review',
        `approved before ${d.alertsAfterIssue} live alert(s) of this case; the issued decision stands as given`,
      ]);
  }
  $('facts')
    .querySelector('tbody')
    .replaceChildren(...facts.map(([k, v]) => row([el('strong', k), v])));
  $('alerts')
    .querySelector('tbody')
    .replaceChildren(
      ...c.alerts.map((a) => {
        const p = state.precision.get(`${a.ruleId}@${a.ruleVersion}`);
        return row([
          `${a.ruleId} v${a.ruleVersion}`,
          badge(a.severity, 'sev'),
          a.reasonCode,
          evidenceText(a.evidence),
          p ? `${pct(p.precision)} (${p.confirmedFraud}/${p.resolved})` : '',
          a.detectedAt.replace('T', ' ').slice(0, 19),
        ]);
      }),
    );
  $('linked')
    .querySelector('tbody')
    .replaceChildren(
      ...(c.linked.length === 0
        ? [row(['none', '', '', ''])]
        : c.linked.map((l) =>
            row([
              l.applicationId,
              l.via,
              l.ruleId ?? '',
              l.caseId === null
                ? ''
                : el('a', `#${l.caseId} (${l.caseStatus})`, { href: `#/cases/${l.caseId}` }),
            ]),
          )),
    );
  $('events').replaceChildren(
    ...c.events.map((e) => {
      const li = el('li');
      li.append(
        el('time', e.at.replace('T', ' ').slice(0, 19)),
        el('span', ` ${e.actor} `, { class: 'actor' }),
      );
      li.append(el('span', e.action.replace('_', ' '), { class: 'action' }));
      const d = e.detail;
      if (e.action === 'noted') li.append(el('blockquote', d.text));
      else if (e.action === 'assigned')
        li.append(el('span', `: ${d.from ?? 'nobody'} → ${d.to ?? 'nobody'}`));
      else if (e.action === 'status_changed') li.append(el('span', `: ${d.from} → ${d.to}`));
      else if (e.action === 'resolved') li.append(el('span', `: ${d.verdict} (${d.labels} alert labels)`));
      else if (e.action === 'alert_added') li.append(el('span', `: ${d.ruleId} (${d.severity})`));
      return li;
    }),
  );
}

async function showRules() {
  sections('rules');
  const p = await loadPrecision();
  $('rules-table')
    .querySelector('tbody')
    .replaceChildren(
      ...p.rules.map((r) => {
        const bar = el('span', pct(r.precision), { class: 'precision' });
        if (r.precision !== null) bar.style.setProperty('--p', String(r.precision));
        const tr = row([
          r.ruleId,
          r.ruleVersion,
          r.alerts,
          r.cases,
          r.resolved,
          r.confirmedFraud,
          r.legitimate,
          r.inconclusive,
          bar,
        ]);
        tr.dataset.rule = r.ruleId;
        return tr;
      }),
    );
  $('volume-table')
    .querySelector('tbody')
    .replaceChildren(
      ...p.volume.map((v) => row([v.day, v.ruleId, v.alerts, v.casesOpened, v.resolved, v.confirmedFraud])),
    );
}

async function act(path, body, done) {
  const id = $('case').dataset.caseId;
  try {
    await api(`/v1/cases/${id}/${path}`, { method: 'POST', body });
    show(done, 'ok');
    await showCase(id);
  } catch (err) {
    show(err.message);
  }
}

async function route() {
  if (!token()) {
    sections('login');
    $('whoami').textContent = '';
    $('sign-out').hidden = true;
    return;
  }
  const hash = location.hash || '#/';
  try {
    await loadMe();
    const m = /^#\/cases\/(\d+)$/.exec(hash);
    if (m) await showCase(m[1]);
    else if (hash === '#/rules') await showRules();
    else await showQueue();
  } catch (err) {
    show(err.message);
  }
}

function wire() {
  $('sign-in').addEventListener('click', () => {
    const t = $('token').value.trim();
    if (t === '') return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $('token').value = '';
    state.me = null;
    show('', 'ok');
    route();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.me = null;
    location.hash = '#/';
    route();
  });
  $('f-apply').addEventListener('click', () => {
    state.offset = 0;
    show('', 'ok');
    showQueue().catch((err) => show(err.message));
  });
  $('prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    showQueue().catch((err) => show(err.message));
  });
  $('next').addEventListener('click', () => {
    state.offset += PAGE_SIZE;
    showQueue().catch((err) => show(err.message));
  });
  $('act-take').addEventListener('click', () =>
    act('assignee', { assignee: state.me.username }, 'Case taken'),
  );
  $('act-assign').addEventListener('click', () =>
    act('assignee', { assignee: $('assign-to').value.trim() || null }, 'Case assigned'),
  );
  $('act-investigate').addEventListener('click', () =>
    act('status', { status: 'investigating' }, 'Investigation started'),
  );
  for (const b of document.querySelectorAll('button.verdict'))
    b.addEventListener('click', () =>
      act('status', { status: b.dataset.status }, `Resolved: ${b.textContent}`),
    );
  $('act-note').addEventListener('click', async () => {
    await act('notes', { text: $('note-text').value }, 'Note added');
    if ($('message').className === 'ok') $('note-text').value = '';
  });
  window.addEventListener('hashchange', () => {
    show('', 'ok');
    route();
  });
}

wire();
route();
