// The dashboard /admin (Preact + htm, uPlot for the chart): with the admin key, every group and its
// members, the delivery funnel over time, SMS segments and estimated spend per group, gateway and queue
// state, live connections; a group owner signed in on / sees the funnel and spend of their own groups.
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './admin.css';
import { QunHttp } from '../../src/client/qun-http.ts';
import { formatTime, initLang, type Lang, type MsgKey, setLang, t } from '../app/i18n.ts';

const SERIES = ['live', 'inbox', 'reminder', 'sms', 'failed'] as const;
const COLOURS = ['#1e7d32', '#1559b3', '#8a4fbf', '#b36b00', '#b3261e'];
type Funnel = { bucketMs: number; buckets: number[]; series: Record<(typeof SERIES)[number], number[]> };
type SpendRow = {
  groupId: number | null;
  name: string | null;
  texts: number;
  segments: number;
  estimate: number;
  budgetLeft: { day: number | null; month: number | null } | null;
};
type Dashboard = {
  node: { id: string; liveConnections: number };
  store: string;
  gateway: {
    name: string;
    queueDepth: number;
    inDoubt: number;
    sent: number;
    failed: number;
    throttleEvents: number;
  };
  segmentPrice: number;
  funnel: Funnel;
  spend: SpendRow[];
  groups: { id: number; name: string; address: string; lastSeq: number; members: number }[];
};
type Member = { userId: number; phone: string; name: string | null; role: string };

const KEY = 'qun.adminKey';
const ROLE: Record<string, MsgKey> = { owner: 'roleOwner', admin: 'roleAdmin', member: 'roleMember' };
let lang: Lang = initLang();
const http = new QunHttp({ baseUrl: location.origin, token: localStorage.getItem('qun.token') ?? undefined });

async function admin<T>(path: string, key: string): Promise<T> {
  const res = await fetch(path, { headers: { 'x-qun-admin-key': key } });
  if (!res.ok)
    throw new Error(
      ((await res.json().catch(() => ({}))) as { error?: { message?: string } }).error?.message ??
        String(res.status),
    );
  return (await res.json()) as T;
}

function Chart({ funnel }: { funnel: Funnel }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 260,
        series: [
          {
            label: t('window'),
            value: (_u: uPlot, v: number | null) => (v === null ? '' : formatTime(v * 1000)),
          },
          ...SERIES.map((s, i) => ({ label: t(`series_${s}` as MsgKey), stroke: COLOURS[i], width: 2 })),
        ],
        axes: [{ values: (_u: uPlot, ticks: number[]) => ticks.map((x) => formatTime(x * 1000)) }, {}],
      },
      [funnel.buckets.map((b) => b / 1000), ...SERIES.map((s) => funnel.series[s])],
      el,
    );
    return () => plot.destroy();
  }, [funnel, lang]);
  // The numbers behind the chart, for screen readers and for copying.
  const totals = SERIES.map(
    (s) => `${t(`series_${s}` as MsgKey)}: ${funnel.series[s].reduce((a, b) => a + b, 0)}`,
  );
  return html`<figure class="chart"><div ref=${box} role="img" aria-label=${`${t('funnel')}: ${totals.join(', ')}`}></div>
    <figcaption class="hint" id="funnel-totals">${totals.join(' · ')}</figcaption></figure>`;
}

/** Segments left of a group's budget today / this month; a dash where the group has no budget. */
function budgetText(b: SpendRow['budgetLeft']): string {
  if (!b || (b.day === null && b.month === null)) return '—';
  return `${b.day ?? '—'} / ${b.month ?? '—'}`;
}

function SpendTable({ rows, price }: { rows: SpendRow[]; price: number }) {
  return html`<table class="table" id="spend"><caption class="sr-only">${t('spend')}</caption>
    <thead><tr><th scope="col">${t('groupCol')}</th><th scope="col">${t('texts')}</th><th scope="col">${t('segments')}</th>
      <th scope="col">${t('estimate')} (× ${price})</th><th scope="col">${t('budgetLeft')}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><td><bdi>${r.name ?? t('noGroup')}</bdi></td><td>${r.texts}</td><td>${r.segments}</td><td>${r.estimate.toFixed(2)}</td><td>${budgetText(r.budgetLeft)}</td></tr>`)}</tbody>
  </table>`;
}

function Operator({ adminKey, hours }: { adminKey: string; hours: number }) {
  const [d, setD] = useState<Dashboard | undefined>(undefined);
  const [members, setMembers] = useState<Record<number, Member[]>>({});
  const [error, setError] = useState('');
  useEffect(() => {
    admin<Dashboard>(`/v1/admin/dashboard?hours=${hours}`, adminKey).then(setD, (e: Error) =>
      setError(e.message),
    );
  }, [adminKey, hours]);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!d) return html`<p class="hint">…</p>`;
  const g = d.gateway;
  return html`<section class="card" aria-labelledby="gw"><h2 id="gw">${t('gateway')}: ${g.name}</h2>
      <ul class="figures" id="figures">
        <li><strong>${g.queueDepth}</strong> ${t('queueDepth')}</li>
        <li><strong>${g.inDoubt}</strong> ${t('inDoubt')}</li>
        <li><strong>${g.sent}</strong> ${t('sentTotal')}</li>
        <li><strong>${g.failed}</strong> ${t('failedTotal')}</li>
        <li><strong>${g.throttleEvents}</strong> ${t('throttle')}</li>
        <li><strong>${d.node.liveConnections}</strong> ${t('liveConns', { node: d.node.id })}</li>
      </ul></section>
    <section class="card" aria-labelledby="fn"><h2 id="fn">${t('funnel')}</h2><p class="hint">${t('funnelNote')}</p><${Chart} funnel=${d.funnel} /></section>
    <section class="card" aria-labelledby="sp"><h2 id="sp">${t('spend')}</h2><${SpendTable} rows=${d.spend} price=${d.segmentPrice} /></section>
    <section class="card" aria-labelledby="gr"><h2 id="gr">${t('groups')}</h2>
      <table class="table" id="admin-groups"><thead><tr><th scope="col">${t('groupCol')}</th><th scope="col">${t('smsAddress', { address: '' })}</th>
        <th scope="col">${t('members')}</th><th scope="col">${t('lastSeq')}</th><th scope="col"><span class="sr-only">${t('show')}</span></th></tr></thead>
      <tbody>${d.groups.map(
        (
          x,
        ) => html`<tr data-group=${x.id}><td><bdi>${x.name}</bdi></td><td>${x.address}</td><td>${x.members}</td><td>${x.lastSeq}</td>
          <td><button type="button" class="secondary small" onClick=${() =>
            admin<{ members: Member[] }>(`/v1/admin/groups/${x.id}/members`, adminKey).then(
              (r) => setMembers({ ...members, [x.id]: r.members }),
              (e: Error) => setError(e.message),
            )}>${t('members')}</button>
            ${members[x.id] && html`<ul class="list">${members[x.id]!.map((m) => html`<li>${m.name ? html`<bdi>${m.name}</bdi> · ` : ''}${m.phone} · ${t(ROLE[m.role] ?? 'roleMember')}</li>`)}</ul>`}</td></tr>`,
      )}</tbody></table></section>`;
}

function Owner({ hours }: { hours: number }) {
  const [groups, setGroups] = useState<{ id: number; name: string }[]>([]);
  const [stats, setStats] = useState<
    Record<number, { funnel: Funnel; spend: SpendRow[]; segmentPrice: number }>
  >({});
  useEffect(() => {
    if (!http.token) return;
    void http.groups().then(
      async (r) => {
        const own = r.groups.filter((g) => g.role === 'owner');
        setGroups(own);
        const all: typeof stats = {};
        for (const g of own) all[g.id] = await http.request('GET', `/v1/groups/${g.id}/stats?hours=${hours}`);
        setStats(all);
      },
      () => {},
    );
  }, [hours]);
  if (groups.length === 0) return null;
  return html`<h2>${t('ownGroups')}</h2>${groups.map(
    (
      g,
    ) => html`<section class="card owner-group" data-group=${g.id} aria-label=${g.name}><h3><bdi>${g.name}</bdi></h3>
      ${stats[g.id] && html`<${Chart} funnel=${stats[g.id]!.funnel} /><${SpendTable} rows=${stats[g.id]!.spend} price=${stats[g.id]!.segmentPrice} />`}
    </section>`,
  )}`;
}

function App() {
  const [key, setKey] = useState(sessionStorage.getItem(KEY) ?? '');
  const [typed, setTyped] = useState('');
  const [hours, setHours] = useState(24);
  const [, setTick] = useState(0);
  return html`<header class="bar"><h1>Qun · ${t('dashboard')}</h1><span class="grow"></span>
      <label for="hours" class="sr-only">${t('window')}</label>
      <select id="hours" value=${hours} onChange=${(e: Event) => setHours(Number((e.target as HTMLSelectElement).value))}>
        <option value="24">${t('hours24')}</option><option value="168">${t('days7')}</option><option value="720">${t('days30')}</option>
      </select>
      <label for="lang" class="sr-only">${t('language')}</label>
      <select id="lang" value=${lang} onChange=${(e: Event) => {
        lang = setLang((e.target as HTMLSelectElement).value as Lang);
        setTick((n) => n + 1);
      }}><option value="en">English</option><option value="zh-CN">中文</option></select></header>
    <main>
    <form id="key-form" class="card row" onSubmit=${(e: Event) => {
      e.preventDefault();
      sessionStorage.setItem(KEY, typed);
      setKey(typed);
    }}>
      <label for="admin-key" class="grow">${t('adminKey')}
        <input id="admin-key" type="password" autocomplete="off" value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">${t('open')}</button>
    </form>
    ${!key && !http.token && html`<p class="hint">${t('noAccess')}</p>`}
    ${key && html`<${Operator} adminKey=${key} hours=${hours} />`}
    <p class="hint">${t('orOwner')}</p>
    <${Owner} hours=${hours} />
    </main>`;
}

render(html`<${App} />`, document.getElementById('root')!);
